import Foundation

/// A WordPiece tokenizer (BERT and its relatives) that encodes exactly as Hugging Face
/// `BertTokenizerFast` does.
///
/// Encoding cuts the special added tokens (`[CLS]`, `[MASK]`...) out of the raw text first, then
/// applies `BertNormalizer` (clean text, CJK padding, accent stripping, lowercasing), splits on
/// whitespace and punctuation as `BertPreTokenizer`, and cuts each word greedily into the longest
/// vocabulary pieces, continuing pieces carrying `continuingPrefix`. A word that cannot be cut
/// becomes the unknown token. Offsets point into the original text whatever normalization did.
/// `encode` adds no `[CLS]`/`[SEP]`; the caller does. Immutable and safe to share between threads.
public final class WordPieceTokenizer: TextTokenizer {
    /// The largest id plus one, added tokens included.
    public let vocabularySize: Int
    /// Token spelling to id.
    public let vocabulary: [String: Int]
    /// The tokens matched verbatim in the raw text before normalization.
    public let addedTokens: [AddedToken]
    /// Whether text is lowercased.
    public let lowercase: Bool
    /// Whether accents are stripped (NFD, then non-spacing marks dropped).
    public let stripAccents: Bool
    /// Whether CJK ideographs are made words of their own.
    public let tokenizeChineseChars: Bool
    /// Whether control characters are dropped and whitespace made spaces.
    public let cleanText: Bool
    /// The token of words that cannot be cut into vocabulary pieces.
    public let unknownToken: String
    /// Words longer than this (in scalars, after normalization) become the unknown token whole.
    public let maxInputCharsPerWord: Int
    /// The prefix of pieces that continue a word.
    public let continuingPrefix: String

    /// The id of the unknown token.
    public let unknownID: Int
    /// The id of `[CLS]`, if the vocabulary has it.
    public let clsID: Int?
    /// The id of `[SEP]`, if the vocabulary has it.
    public let sepID: Int?
    /// The id of `[MASK]`, if the vocabulary has it.
    public let maskID: Int?
    /// The id of `[PAD]`, if the vocabulary has it.
    public let padID: Int?
    /// BERT has no end-of-text token; `[SEP]` plays that part.
    public var endOfTextID: Int? { sepID }

    /// The special tokens BERT matches in raw text when no added-token list is given.
    public static let bertSpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    /// Ids above this are refused, so a malformed file cannot make the tokenizer allocate without bound.
    public static let maximumID = 1 << 24

    let normalizer: WordPieceNormalizer
    /// Ids of word-initial pieces by their scalars (compared by scalar, not by canonical equivalence).
    private let wordStarts: [[UInt32]: Int]
    /// Ids of continuing pieces by their scalars without the prefix.
    private let continuations: [[UInt32]: Int]
    /// The longest piece, in scalars, so the greedy search need not try longer ones.
    private let longestPiece: Int
    private let tokensByID: [String?]
    private let idsByToken: [String: Int]
    private let splitter: AddedTokenSplitter

    /// Builds a tokenizer from its vocabulary and BERT normalization options.
    ///
    /// - Parameters:
    ///   - vocabulary: token spelling to id; must hold `unknownToken`.
    ///   - lowercase: lowercase the text (BERT "uncased").
    ///   - stripAccents: strip accents; nil follows `lowercase`, as Hugging Face does.
    ///   - tokenizeChineseChars: make each CJK ideograph a word.
    ///   - unknownToken: the token of words that cannot be cut.
    ///   - maxInputCharsPerWord: longer words become the unknown token whole.
    ///   - continuingPrefix: the prefix of pieces that continue a word.
    ///   - addedTokens: tokens matched in raw text; nil takes those of `bertSpecialTokens` in the vocabulary.
    ///   - cleanText: drop control characters and make whitespace spaces.
    /// - Throws: `EngineError.tokenizer` when the vocabulary is empty, lacks the unknown token or has bad ids.
    public init(
        vocabulary: [String: Int],
        lowercase: Bool = true,
        stripAccents: Bool? = nil,
        tokenizeChineseChars: Bool = true,
        unknownToken: String = "[UNK]",
        maxInputCharsPerWord: Int = 100,
        continuingPrefix: String = "##",
        addedTokens: [AddedToken]? = nil,
        cleanText: Bool = true
    ) throws {
        guard !vocabulary.isEmpty else { throw EngineError.tokenizer("the vocabulary is empty") }
        guard let unknownID = vocabulary[unknownToken] else {
            throw EngineError.tokenizer("the unknown token \(ByteLevelBPETokenizer.quoted(unknownToken)) is not in the vocabulary")
        }
        guard maxInputCharsPerWord > 0 else {
            throw EngineError.tokenizer("maxInputCharsPerWord is \(maxInputCharsPerWord); it must be positive")
        }
        let added = addedTokens ?? Self.bertSpecialTokens.compactMap { token in
            vocabulary[token].map { AddedToken(content: token, id: $0, special: true) }
        }
        var maximum = -1
        for (token, id) in vocabulary {
            guard (0...Self.maximumID).contains(id) else {
                throw EngineError.tokenizer("vocabulary token \(ByteLevelBPETokenizer.quoted(token)) has id \(id), outside 0...\(Self.maximumID)")
            }
            maximum = max(maximum, id)
        }
        for token in added {
            guard (0...Self.maximumID).contains(token.id), !token.content.isEmpty else {
                throw EngineError.tokenizer("added token \(ByteLevelBPETokenizer.quoted(token.content)) with id \(token.id) is empty or out of range")
            }
            maximum = max(maximum, token.id)
        }

        var tokens = [String?](repeating: nil, count: maximum + 1)
        var starts: [[UInt32]: Int] = [:]
        var continuing: [[UInt32]: Int] = [:]
        var longest = 1
        let prefix = Array(continuingPrefix.unicodeScalars.map(\.value))
        for (token, id) in vocabulary {
            // When two spellings share an id, keep the smaller so the choice does not depend on hashing.
            if tokens[id].map({ $0 > token }) ?? true { tokens[id] = token }
            let scalars = token.unicodeScalars.map(\.value)
            starts[scalars] = id
            if !prefix.isEmpty, scalars.count > prefix.count, Array(scalars[..<prefix.count]) == prefix {
                continuing[Array(scalars[prefix.count...])] = id
            }
            longest = max(longest, scalars.count)
        }
        var idsByToken = vocabulary
        for token in added {
            tokens[token.id] = token.content
            idsByToken[token.content] = token.id
        }

        self.vocabularySize = maximum + 1
        self.vocabulary = vocabulary
        self.addedTokens = added
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
        self.tokenizeChineseChars = tokenizeChineseChars
        self.cleanText = cleanText
        self.unknownToken = unknownToken
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.continuingPrefix = continuingPrefix
        self.unknownID = unknownID
        self.clsID = idsByToken["[CLS]"]
        self.sepID = idsByToken["[SEP]"]
        self.maskID = idsByToken["[MASK]"]
        self.padID = idsByToken["[PAD]"]
        self.normalizer = WordPieceNormalizer(
            cleanText: cleanText, handleChineseChars: tokenizeChineseChars,
            stripAccents: stripAccents ?? lowercase, lowercase: lowercase)
        self.wordStarts = starts
        self.continuations = continuing
        self.longestPiece = longest
        self.tokensByID = tokens
        self.idsByToken = idsByToken
        self.splitter = AddedTokenSplitter(tokens: added)
    }

    // MARK: TextTokenizer

    public func encode(_ text: String) -> [Int] {
        encodeWithOffsets(text).map(\.id)
    }

    public func encodeWithOffsets(_ text: String) -> [TokenSpan] {
        let scalars = Array(text.unicodeScalars)
        var spans: [TokenSpan] = []
        let segments: [AddedTokenSegment] = splitter.isEmpty ? [.text(0..<scalars.count)] : splitter.split(scalars)
        for segment in segments {
            switch segment {
            case let .token(id, range):
                spans.append(TokenSpan(id: id, start: range.lowerBound, end: range.upperBound))
            case let .text(range):
                var normalized = WordPieceNormalizer.Output()
                normalizer.normalize(scalars, range: range, into: &normalized)
                for word in WordPieceNormalizer.words(of: normalized.scalars) {
                    appendPieces(of: word, in: normalized, to: &spans)
                }
            }
        }
        return spans
    }

    /// Cuts one word greedily, longest piece first; the whole word is unknown if a part cannot be matched.
    private func appendPieces(of word: Range<Int>, in text: WordPieceNormalizer.Output, to spans: inout [TokenSpan]) {
        let whole = TokenSpan(id: unknownID, start: text.origins[word.lowerBound], end: text.origins[word.upperBound - 1] + 1)
        guard word.count <= maxInputCharsPerWord else {
            spans.append(whole)
            return
        }
        let firstNew = spans.count
        var start = word.lowerBound
        while start < word.upperBound {
            let table = start == word.lowerBound ? wordStarts : continuations
            var end = min(word.upperBound, start + longestPiece)
            var found: Int?
            while end > start {
                if let id = table[Array(text.scalars[start..<end])] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                spans.removeSubrange(firstNew...)
                spans.append(whole)
                return
            }
            spans.append(TokenSpan(id: id, start: text.origins[start], end: text.origins[end - 1] + 1))
            start = end
        }
    }

    /// Joins the tokens as Hugging Face's WordPiece decoder does: continuing pieces are glued to the
    /// previous one, others follow a space, and spaces before common punctuation are cleaned up.
    public func decode(_ ids: [Int]) -> String {
        var text = ""
        var first = true
        for id in ids {
            guard let token = token(id) else { continue }
            var piece = token
            if !first {
                if !continuingPrefix.isEmpty, piece.hasPrefix(continuingPrefix) {
                    piece = String(piece.dropFirst(continuingPrefix.count))
                } else {
                    piece = " " + piece
                }
            }
            text += Self.cleanUp(piece)
            first = false
        }
        return text
    }

    /// Hugging Face's `cleanup` of decoded WordPiece text.
    static func cleanUp(_ text: String) -> String {
        var result = text
        let replacements = [
            (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
            (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
        ]
        for (dirty, clean) in replacements where result.contains(dirty) {
            result = result.replacingOccurrences(of: dirty, with: clean)
        }
        return result
    }

    public func tokenID(_ token: String) -> Int? {
        idsByToken[token]
    }

    public func token(_ id: Int) -> String? {
        guard id >= 0, id < tokensByID.count else { return nil }
        return tokensByID[id]
    }
}
