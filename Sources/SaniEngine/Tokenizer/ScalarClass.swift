/// The character class of a Unicode scalar as the GPT-2 pre-tokenization regex sees it.
///
/// The classes follow Oniguruma, the regex engine of Hugging Face `tokenizers`: `\p{L}` is the
/// general category Letter, `\p{N}` the general category Number, and `\s` is U+0009...U+000D,
/// U+0085 and the space, line and paragraph separators (Zs, Zl, Zp). Every other scalar
/// (punctuation, symbols, marks, controls, format characters) is `other`. Checked against
/// `tokenizers` 0.23 for every scalar.
enum ScalarClass: UInt8, Sendable {
    case letter
    case number
    case whitespace
    case other

    /// The classes of the ASCII scalars, indexed by value.
    private static let asciiClasses: [ScalarClass] = (0..<128).map { value in
        switch value {
        case 0x09...0x0D, 0x20: return .whitespace
        case 0x30...0x39: return .number
        case 0x41...0x5A, 0x61...0x7A: return .letter
        default: return .other
        }
    }

    /// The class of `scalar`.
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        let value = scalar.value
        if value < 128 { return asciiClasses[Int(value)] }
        return ofNonASCII(scalar)
    }

    /// The Unicode version of the character data in the reference engine (Oniguruma as bundled by
    /// `tokenizers` 0.23). Scalars assigned later are unassigned there, hence `other`, whatever
    /// newer data the Swift runtime has.
    static let referenceUnicodeMajorVersion = 16

    private static func ofNonASCII(_ scalar: Unicode.Scalar) -> ScalarClass {
        if scalar.value == 0x85 { return .whitespace }
        if let age = scalar.properties.age, age.major > referenceUnicodeMajorVersion { return .other }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        case .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return .whitespace
        default:
            return .other
        }
    }
}
