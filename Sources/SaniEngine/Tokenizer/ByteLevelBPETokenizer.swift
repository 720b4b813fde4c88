/// A byte-level BPE tokenizer (GPT-2, RoBERTa, SmolLM2 and other Hugging Face `ByteLevel` + `BPE`
/// tokenizers) that encodes exactly as Hugging Face `tokenizers` does.
///
/// Encoding cuts added tokens out first (leftmost-longest), pre-tokenizes the remaining text with
/// `PreTokenizer`, spells each word's UTF-8 bytes in `ByteLevelAlphabet` and applies the merges by
/// rank. Merged words are cached, so the tokenizer is fastest when shared. It is immutable and safe
/// to use from several threads at once.
public final class ByteLevelBPETokenizer: TextTokenizer {
    /// The largest id plus one, added tokens included.
    public let vocabularySize: Int
    /// The id of the end-of-text token, if any.
    public let endOfTextID: Int?
    /// How text is cut into words before BPE.
    public let preTokenizer: PreTokenizer
    /// The tokens matched verbatim before pre-tokenization.
    public let addedTokens: [AddedToken]
    /// The model's vocabulary: token spelling to id (added tokens not included unless the model has them).
    public let vocabulary: [String: Int]
    /// The merge rules, highest priority first.
    public let merges: [BPEMergeRule]
    /// The token that replaces a byte with no token of its own; without it such bytes are dropped.
    public let unknownToken: String?
    /// Whether a word found whole in the vocabulary is taken as one token without merging.
    public let ignoreMerges: Bool

    /// Token spelling to id: the vocabulary plus the added tokens.
    private let idsByToken: [String: Int]
    /// Id to token spelling (nil for unused ids).
    private let tokensByID: [String?]
    /// The bytes each id decodes to.
    private let decodedBytes: [[UInt8]]
    /// The id of the token of each single byte, or -1.
    let byteTokenIDs: [Int32]
    let mergeTable: BPEMergeTable
    /// With `ignoreMerges`: the id of each vocabulary token by the bytes it spells.
    private let idsByBytes: [[UInt8]: Int32]
    private let unknownID: Int32?
    private let splitter: AddedTokenSplitter
    private let cache = BPEWordCache()

    /// Ids above this are refused, so a malformed file cannot make the tokenizer allocate without bound.
    public static let maximumID = 1 << 24

    /// Builds a tokenizer from its parts.
    ///
    /// - Parameters:
    ///   - vocabulary: token spelling (in `ByteLevelAlphabet`) to id.
    ///   - merges: merge rules, highest priority first; each side and their join must be in `vocabulary`.
    ///   - addedTokens: tokens matched verbatim before pre-tokenization.
    ///   - endOfTextToken: the end-of-text token; nil picks `<|endoftext|>` when the tokenizer has it.
    /// - Throws: `EngineError.tokenizer` when the parts are inconsistent.
    public init(
        vocabulary: [String: Int],
        merges: [BPEMergeRule],
        addedTokens: [AddedToken] = [],
        preTokenizer: PreTokenizer = .gpt2,
        unknownToken: String? = nil,
        ignoreMerges: Bool = false,
        endOfTextToken: String? = nil
    ) throws {
        guard !vocabulary.isEmpty else { throw EngineError.tokenizer("the vocabulary is empty") }
        var maximum = -1
        for (token, id) in vocabulary {
            guard (0...Self.maximumID).contains(id) else {
                throw EngineError.tokenizer("vocabulary token \(Self.quoted(token)) has id \(id), outside 0...\(Self.maximumID)")
            }
            maximum = max(maximum, id)
        }
        for token in addedTokens {
            guard (0...Self.maximumID).contains(token.id) else {
                throw EngineError.tokenizer("added token \(Self.quoted(token.content)) has id \(token.id), outside 0...\(Self.maximumID)")
            }
            guard !token.content.isEmpty else { throw EngineError.tokenizer("added token with id \(token.id) is empty") }
            maximum = max(maximum, token.id)
        }

        var tokens = [String?](repeating: nil, count: maximum + 1)
        var bytes = [[UInt8]](repeating: [], count: maximum + 1)
        var byteIDs = [Int32](repeating: -1, count: 256)
        for (token, id) in vocabulary {
            // When two spellings share an id, keep the smaller so the choice does not depend on hashing.
            if let existing = tokens[id], existing <= token { continue }
            tokens[id] = token
        }
        for (id, token) in tokens.enumerated() {
            guard let token else { continue }
            if let spelled = ByteLevelAlphabet.bytes(ofToken: token) {
                bytes[id] = spelled
                if spelled.count == 1, vocabulary[token] == id { byteIDs[Int(spelled[0])] = Int32(id) }
            } else {
                bytes[id] = Array(token.utf8)
            }
        }
        var idsByToken = vocabulary
        for token in addedTokens {
            tokens[token.id] = token.content
            bytes[token.id] = ByteLevelAlphabet.bytes(ofToken: token.content) ?? Array(token.content.utf8)
            idsByToken[token.content] = token.id
        }

        var table = BPEMergeTable(minimumCapacity: merges.count)
        for (rank, rule) in merges.enumerated() {
            guard let left = vocabulary[rule.left], let right = vocabulary[rule.right] else {
                let missing = vocabulary[rule.left] == nil ? rule.left : rule.right
                throw EngineError.tokenizer(
                    "merge #\(rank + 1) \(Self.quoted(rule.left + " " + rule.right)) uses token \(Self.quoted(missing)), which is not in the vocabulary")
            }
            guard let joined = vocabulary[rule.left + rule.right] else {
                throw EngineError.tokenizer(
                    "merge #\(rank + 1) \(Self.quoted(rule.left + " " + rule.right)) makes \(Self.quoted(rule.left + rule.right)), which is not in the vocabulary")
            }
            table.insert(left: Int32(left), right: Int32(right), rank: Int32(rank), result: Int32(joined))
        }

        if let unknownToken {
            guard let id = vocabulary[unknownToken] else {
                throw EngineError.tokenizer("the unknown token \(Self.quoted(unknownToken)) is not in the vocabulary")
            }
            unknownID = Int32(id)
        } else {
            unknownID = nil
        }
        if let endOfTextToken {
            guard let id = idsByToken[endOfTextToken] else {
                throw EngineError.tokenizer("the end-of-text token \(Self.quoted(endOfTextToken)) is not in the vocabulary")
            }
            endOfTextID = id
        } else {
            endOfTextID = idsByToken["<|endoftext|>"]
        }

        var wholeWords: [[UInt8]: Int32] = [:]
        if ignoreMerges {
            for (token, id) in vocabulary {
                if let spelled = ByteLevelAlphabet.bytes(ofToken: token) { wholeWords[spelled] = Int32(id) }
            }
        }

        self.vocabularySize = maximum + 1
        self.preTokenizer = preTokenizer
        self.addedTokens = addedTokens
        self.vocabulary = vocabulary
        self.merges = merges
        self.unknownToken = unknownToken
        self.ignoreMerges = ignoreMerges
        self.idsByToken = idsByToken
        self.tokensByID = tokens
        self.decodedBytes = bytes
        self.byteTokenIDs = byteIDs
        self.mergeTable = table
        self.idsByBytes = wholeWords
        self.splitter = AddedTokenSplitter(tokens: addedTokens)
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }

    // MARK: TextTokenizer

    public func encode(_ text: String) -> [Int] {
        encodeWithOffsets(text).map(\.id)
    }

    public func encodeWithOffsets(_ text: String) -> [TokenSpan] {
        let scalars = Array(text.unicodeScalars)
        var spans: [TokenSpan] = []
        spans.reserveCapacity(scalars.count / 3 + 1)
        var encoder = WordEncoder()
        let segments: [AddedTokenSegment] = splitter.isEmpty ? [.text(0..<scalars.count)] : splitter.split(scalars)
        var words: [PreTokenizedWord] = []
        for segment in segments {
            switch segment {
            case let .token(id, range):
                spans.append(TokenSpan(id: id, start: range.lowerBound, end: range.upperBound))
            case let .text(range):
                words.removeAll(keepingCapacity: true)
                preTokenizer.split(scalars, range: range, into: &words)
                for word in words {
                    encoder.encode(word, of: scalars, with: self, into: &spans)
                }
            }
        }
        return spans
    }

    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < decodedBytes.count {
            bytes.append(contentsOf: decodedBytes[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func tokenID(_ token: String) -> Int? {
        idsByToken[token]
    }

    public func token(_ id: Int) -> String? {
        guard id >= 0 && id < tokensByID.count else { return nil }
        return tokensByID[id]
    }

    // MARK: BPE

    /// The merged symbols of one word given as bytes.
    fileprivate func symbols(ofWord word: [UInt8]) -> [BPESymbol] {
        if let cached = cache.symbols(for: word) { return cached }
        var symbols: [BPESymbol] = []
        if ignoreMerges, let whole = idsByBytes[word] {
            symbols = [BPESymbol(id: whole, start: 0, length: Int32(word.count))]
        } else {
            symbols.reserveCapacity(word.count)
            for (offset, byte) in word.enumerated() {
                let id = byteTokenIDs[Int(byte)]
                if id >= 0 {
                    symbols.append(BPESymbol(id: id, start: Int32(offset), length: 1))
                } else if let unknownID {
                    symbols.append(BPESymbol(id: unknownID, start: Int32(offset), length: 1))
                }
            }
            BPEWordMerger.merge(&symbols, table: mergeTable)
        }
        cache.store(symbols, for: word)
        return symbols
    }
}

/// Reusable buffers that turn pre-tokenized words into token spans.
private struct WordEncoder {
    /// The UTF-8 bytes of the current word.
    var bytes: [UInt8] = []
    /// For each byte of the current word, the input scalar it came from.
    var owners: [Int] = []

    mutating func encode(
        _ word: PreTokenizedWord, of scalars: [Unicode.Scalar], with tokenizer: ByteLevelBPETokenizer,
        into spans: inout [TokenSpan]
    ) {
        bytes.removeAll(keepingCapacity: true)
        owners.removeAll(keepingCapacity: true)
        if word.prefixSpace {
            bytes.append(0x20)
            owners.append(word.range.lowerBound)
        }
        for index in word.range {
            let value = scalars[index].value
            switch value {
            case ..<0x80:
                bytes.append(UInt8(value))
                owners.append(index)
            case ..<0x800:
                bytes.append(UInt8(0xC0 | (value >> 6)))
                bytes.append(UInt8(0x80 | (value & 0x3F)))
                owners.append(index)
                owners.append(index)
            case ..<0x10000:
                bytes.append(UInt8(0xE0 | (value >> 12)))
                bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
                bytes.append(UInt8(0x80 | (value & 0x3F)))
                owners.append(index)
                owners.append(index)
                owners.append(index)
            default:
                bytes.append(UInt8(0xF0 | (value >> 18)))
                bytes.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
                bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
                bytes.append(UInt8(0x80 | (value & 0x3F)))
                owners.append(index)
                owners.append(index)
                owners.append(index)
                owners.append(index)
            }
        }
        guard !bytes.isEmpty else { return }
        for symbol in tokenizer.symbols(ofWord: bytes) {
            let first = Int(symbol.start)
            let last = first + Int(symbol.length) - 1
            spans.append(TokenSpan(id: Int(symbol.id), start: owners[first], end: owners[last] + 1))
        }
    }
}
