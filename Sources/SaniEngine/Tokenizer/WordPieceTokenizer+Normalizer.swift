import Foundation

/// Hugging Face's `BertNormalizer` and `BertPreTokenizer`, keeping for every normalized scalar the
/// input scalar it came from so that token offsets can be mapped back to the original text.
struct WordPieceNormalizer: Sendable {
    /// Drop control characters and turn every whitespace into a space.
    var cleanText: Bool
    /// Put spaces around CJK ideographs so each becomes a word.
    var handleChineseChars: Bool
    /// Decompose (NFD) and drop non-spacing marks.
    var stripAccents: Bool
    /// Map to lower case (full Unicode mapping, as Rust's `char::to_lowercase`).
    var lowercase: Bool

    /// Normalized text: scalar values, and for each the index of the input scalar it came from.
    struct Output {
        var scalars: [UInt32] = []
        var origins: [Int] = []

        mutating func append(_ value: UInt32, origin: Int) {
            scalars.append(value)
            origins.append(origin)
        }
    }

    /// Normalizes `input[range]`, appending to `output`.
    func normalize(_ input: [Unicode.Scalar], range: Range<Int>, into output: inout Output) {
        for index in range {
            let scalar = input[index]
            if cleanText {
                if Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) {
                    output.append(0x20, origin: index)
                    continue
                }
            }
            if handleChineseChars, Self.isChineseChar(scalar.value) {
                output.append(0x20, origin: index)
                output.append(scalar.value, origin: index)
                output.append(0x20, origin: index)
                continue
            }
            appendCased(scalar, origin: index, into: &output)
        }
    }

    /// Appends `scalar` after accent stripping and lowercasing.
    private func appendCased(_ scalar: Unicode.Scalar, origin: Int, into output: inout Output) {
        if scalar.value < 0x80 {
            var value = scalar.value
            if lowercase, (0x41...0x5A).contains(value) { value += 0x20 }
            output.append(value, origin: origin)
            return
        }
        let stripped: [Unicode.Scalar]
        if stripAccents {
            stripped = String(Character(scalar)).decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
        } else {
            stripped = [scalar]
        }
        for part in stripped {
            if lowercase {
                for lowered in part.properties.lowercaseMapping.unicodeScalars { output.append(lowered.value, origin: origin) }
            } else {
                output.append(part.value, origin: origin)
            }
        }
    }

    /// Cuts normalized scalars into words as `BertPreTokenizer` does: whitespace separates words and
    /// each punctuation scalar is a word of its own. Returns ranges into `scalars`.
    static func words(of scalars: [UInt32]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start: Int?
        for (index, value) in scalars.enumerated() {
            let scalar = Unicode.Scalar(value) ?? " "
            if isWhitespace(scalar) || isPunctuation(scalar) {
                if let first = start { words.append(first..<index) }
                start = nil
                if !isWhitespace(scalar) { words.append(index..<index + 1) }
            } else if start == nil {
                start = index
            }
        }
        if let first = start { words.append(first..<scalars.count) }
        return words
    }

    /// Rust's `char::is_whitespace` (the White_Space property), which includes tab, newline and return.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        case 0..<0x80: return false
        default: return scalar.properties.isWhitespace
        }
    }

    /// Control, format, unassigned, private-use and surrogate scalars, NUL and U+FFFD, except tab,
    /// newline and return.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0, 0xFFFD: return true
        case 0x20..<0x7F: return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    /// ASCII symbols and punctuation (33–47, 58–64, 91–96, 123–126) and the Unicode P* categories.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        case 0..<0x80: return false
        default:
            switch scalar.properties.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                .initialPunctuation, .finalPunctuation, .otherPunctuation:
                return true
            default: return false
            }
        }
    }

    /// The CJK ideograph blocks BERT isolates.
    static func isChineseChar(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
