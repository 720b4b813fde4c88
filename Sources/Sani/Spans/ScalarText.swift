/// The Unicode scalars of a text prepared for dictionary matching: one folded value a scalar (so offsets
/// stay scalar offsets) and a class a scalar (word character, whitespace, other).
///
/// Case folding maps a scalar to its lowercase form when that form is a single scalar (`É` → `é`,
/// `A` → `a`), and keeps it otherwise, so matching never shifts offsets.
struct ScalarText {
    enum Class: UInt8 {
        case other = 0
        case word = 1
        case whitespace = 2
    }

    /// The scalar values, case-folded when asked.
    let folded: [UInt32]
    /// The class of each scalar.
    let classes: [Class]

    init(_ text: String, foldCase: Bool) {
        var folded: [UInt32] = []
        var classes: [Class] = []
        folded.reserveCapacity(text.utf8.count)
        classes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            folded.append(foldCase ? Self.fold(scalar) : scalar.value)
            classes.append(Self.classify(scalar))
        }
        self.folded = folded
        self.classes = classes
    }

    var count: Int { folded.count }

    /// Lowercase when the lowercase form is one scalar; the scalar itself otherwise.
    static func fold(_ scalar: Unicode.Scalar) -> UInt32 {
        let value = scalar.value
        if value < 0x80 {
            return (0x41...0x5A).contains(value) ? value + 0x20 : value
        }
        let lower = scalar.properties.lowercaseMapping.unicodeScalars
        if lower.count == 1, let first = lower.first { return first.value }
        return value
    }

    /// Word characters are letters, digits and combining marks (so `e` + U+0301 stays inside a word).
    static func classify(_ scalar: Unicode.Scalar) -> Class {
        let value = scalar.value
        if value < 0x80 {
            switch value {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return .word
            case 0x09...0x0D, 0x20: return .whitespace
            default: return .other
            }
        }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        if properties.isAlphabetic || properties.numericType == .decimal { return .word }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return .word
        default: return .other
        }
    }

    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        classify(scalar) == .word
    }
}
