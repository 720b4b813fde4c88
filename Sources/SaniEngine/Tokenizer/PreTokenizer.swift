/// One word produced by pre-tokenization: a run of input scalars that BPE encodes on its own.
struct PreTokenizedWord: Sendable, Equatable {
    /// The input scalars of the word (may be empty when the word is only an added prefix space).
    var range: Range<Int>
    /// Whether a space that is not in the input precedes the word's scalars. That space was added by
    /// `addPrefixSpace`; it belongs to the input scalar at `range.lowerBound`.
    var prefixSpace: Bool
}

/// The byte-level pre-tokenizer of Hugging Face `tokenizers`: it cuts text into words before BPE.
///
/// With `useRegex` it applies GPT-2's pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
/// implemented by hand over Unicode scalars. Optionally it first splits digits apart, as a
/// `Sequence` of `Digits` then `ByteLevel` pre-tokenizers does (SmolLM2 and others).
public struct PreTokenizer: Sendable, Equatable {
    /// How digits are split off before the regex runs (Hugging Face's `Digits` pre-tokenizer).
    public enum DigitSplitting: Sendable, Equatable {
        /// Digits are not split off.
        case none
        /// Each run of digits becomes a separate piece (`individual_digits: false`).
        case runs
        /// Each digit becomes a separate piece (`individual_digits: true`).
        case individual
    }

    /// Whether a space is added in front of each piece that does not start with one.
    public var addPrefixSpace: Bool
    /// Whether the GPT-2 regex splits pieces into words; without it each piece is one word.
    public var useRegex: Bool
    /// How digits are split off first.
    public var digits: DigitSplitting

    public init(addPrefixSpace: Bool = false, useRegex: Bool = true, digits: DigitSplitting = .none) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
        self.digits = digits
    }

    /// GPT-2's configuration: the regex, no prefix space, no digit splitting.
    public static let gpt2 = PreTokenizer()

    /// Appends to `words` the words of `scalars[range]`.
    func split(_ scalars: [Unicode.Scalar], range: Range<Int>, into words: inout [PreTokenizedWord]) {
        guard !range.isEmpty else { return }
        if digits == .none {
            splitPiece(scalars, range: range, into: &words)
            return
        }
        var pieceStart = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            let isDigit = ScalarClass.of(scalars[index]) == .number
            if isDigit {
                if pieceStart < index { splitPiece(scalars, range: pieceStart..<index, into: &words) }
                var end = index + 1
                if digits == .runs {
                    while end < range.upperBound, ScalarClass.of(scalars[end]) == .number { end += 1 }
                }
                splitPiece(scalars, range: index..<end, into: &words)
                index = end
                pieceStart = end
            } else {
                index += 1
            }
        }
        if pieceStart < range.upperBound { splitPiece(scalars, range: pieceStart..<range.upperBound, into: &words) }
    }

    /// Splits one piece (an input range handed to the byte-level step) into words.
    private func splitPiece(_ scalars: [Unicode.Scalar], range: Range<Int>, into words: inout [PreTokenizedWord]) {
        let prefix = addPrefixSpace && scalars[range.lowerBound] != " "
        guard useRegex else {
            words.append(PreTokenizedWord(range: range, prefixSpace: prefix))
            return
        }
        // Work in "virtual" positions, where position 0 is the added space when there is one.
        let shift = prefix ? 1 : 0
        let count = range.count + shift
        let base = range.lowerBound - shift
        scalars.withUnsafeBufferPointer { buffer in
            @inline(__always) func scalar(_ position: Int) -> Unicode.Scalar {
                position < shift ? " " : buffer[base + position]
            }
            var position = 0
            while position < count {
                let end = GPT2Pattern.matchEnd(at: position, count: count, scalar: scalar)
                let lower = max(base + position, range.lowerBound)
                words.append(PreTokenizedWord(range: lower..<(base + end), prefixSpace: position < shift))
                position = end
            }
        }
    }
}

/// The GPT-2 pre-tokenization regex, matched by hand.
enum GPT2Pattern {
    /// The end of the regex match that starts at `start` (the pattern matches every non-empty input).
    @inline(__always)
    static func matchEnd(at start: Int, count: Int, scalar: (Int) -> Unicode.Scalar) -> Int {
        let first = scalar(start)
        // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive, as in GPT-2)
        if first == "'", start + 1 < count {
            let second = scalar(start + 1)
            if second == "s" || second == "t" || second == "m" || second == "d" { return start + 2 }
            if start + 2 < count {
                let third = scalar(start + 2)
                if (second == "r" && third == "e") || (second == "v" && third == "e") || (second == "l" && third == "l") {
                    return start + 3
                }
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
        let runStart = (first == " " && start + 1 < count) ? start + 1 : start
        let runClass = ScalarClass.of(scalar(runStart))
        if runClass != .whitespace {
            var end = runStart + 1
            while end < count, ScalarClass.of(scalar(end)) == runClass { end += 1 }
            return end
        }
        // `\s+(?!\S)` then `\s+`: a whitespace run leaves its last scalar to a following word.
        var end = start + 1
        while end < count, ScalarClass.of(scalar(end)) == .whitespace { end += 1 }
        if end == count || end - start == 1 { return end }
        return end - 1
    }
}
