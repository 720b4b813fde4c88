/// Finds the words of a text with their scalar offsets: runs of letters, digits and combining marks, with
/// apostrophes (' or ’) allowed between two word characters ("O'Brien", "don't"). Hyphens, periods and
/// slashes separate words ("Smith-Jones" is two words).
enum WordScanner {
    /// A word: its scalar range and its lowercased spelling.
    struct Word {
        var start: Int
        var end: Int
        var key: String
        /// Whether every character is a decimal digit.
        var isNumber: Bool
    }

    static func words(in text: String) -> [Word] {
        var words: [Word] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            guard ScalarText.classify(scalars[index]) == .word else {
                index += 1
                continue
            }
            let start = index
            var allDigits = true
            while index < scalars.count {
                let scalar = scalars[index]
                if ScalarText.classify(scalar) == .word {
                    if !(0x30...0x39).contains(scalar.value) && scalar.properties.numericType != .decimal {
                        allDigits = false
                    }
                    index += 1
                } else if (scalar == "'" || scalar == "\u{2019}"), index + 1 < scalars.count,
                          ScalarText.classify(scalars[index + 1]) == .word {
                    index += 1
                } else {
                    break
                }
            }
            var spelling = String.UnicodeScalarView()
            for scalar in scalars[start..<index] {
                spelling.append(scalar == "\u{2019}" ? "'" : scalar)  // one spelling for both apostrophes
            }
            words.append(Word(start: start, end: index, key: String(spelling).lowercased(), isNumber: allDigits))
        }
        return words
    }
}
