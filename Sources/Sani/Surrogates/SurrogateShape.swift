import Foundation
import SaniEngine

/// How one span's stand-in is made from its label and the shape of its text.
enum SurrogateShape {
    /// A stand-in for `original`, a span labelled `label`.
    static func stand(in original: String, label: String, dateShift: Int, rng: inout RandomSource) -> String {
        switch label.uppercased() {
        case "DATE":
            if let shifted = SurrogateDate.shift(original, byDays: dateShift) { return shifted }
            return characters(original, rng: &rng)
        case "AGE":
            if let age = Int(original.trimmingCharacters(in: .whitespaces)) {
                let moved = max(age >= 90 ? 90 : 0, age + Int(rng.next() % 11) - 5)
                return moved == age ? String(age + (age >= 90 || age < 5 ? 1 : -1)) : String(moved)
            }
            return characters(original, rng: &rng)
        default:
            // Words with no digits read as names or rare words; anything with digits, an address or a link is
            // a number or a code.
            if original.unicodeScalars.contains(where: { isDigit($0) || $0 == "@" || $0 == "/" })
                || ["EMAIL", "URL", "IPADDR", "IP"].contains(label.uppercased()) {
                return characters(original, rng: &rng)
            }
            return words(original, rng: &rng)
        }
    }

    /// Every digit and letter replaced by a random one of its kind (case kept; a number keeps a non-zero
    /// leading digit), everything else kept; never the original.
    static func characters(_ original: String, rng: inout RandomSource) -> String {
        for _ in 0..<8 {
            var out = String.UnicodeScalarView()
            var previousWasDigit = false
            for s in original.unicodeScalars {
                if isDigit(s) {
                    let leading = !previousWasDigit && s != "0"
                    out.append(digit(rng: &rng, nonZero: leading))
                    previousWasDigit = true
                    continue
                }
                previousWasDigit = false
                if ("A"..."Z").contains(s) { out.append(letter(rng: &rng, upper: true)) }
                else if ("a"..."z").contains(s) { out.append(letter(rng: &rng, upper: false)) }
                else { out.append(s) }
            }
            let text = String(out)
            if text != original || !original.unicodeScalars.contains(where: { isDigit($0) || $0.properties.isAlphabetic }) {
                return text
            }
        }
        return original
    }

    /// Each word replaced by an invented word of about its length and with its capitalisation; function words
    /// and the words that name a kind of place ("Hospital", "Clinic"...) are kept, so a hospital's stand-in
    /// still reads as a hospital.
    static func words(_ original: String, rng: inout RandomSource) -> String {
        var out = ""
        var word = ""
        func flush() {
            guard !word.isEmpty else { return }
            out += keptWords.contains(word.lowercased()) ? word : invented(like: word, rng: &rng)
            word = ""
        }
        for ch in original {
            if ch.isLetter { word.append(ch) } else { flush(); out.append(ch) }
        }
        flush()
        if out == original, !original.isEmpty {
            // Every word was a kept one: invent one word in front so the stand-in still differs.
            return invented(like: "Aaaaa", rng: &rng) + " " + original
        }
        return out
    }

    /// Words kept as they are inside a surrogate: function words and generic kinds of places and titles.
    static let keptWords: Set<String> = [
        "of", "the", "and", "for", "at", "de", "la", "st", "saint", "san", "santa", "mount", "mt",
        "hospital", "clinic", "center", "centre", "medical", "health", "care", "general", "memorial", "university",
        "regional", "community", "county", "city", "children's", "childrens", "institute", "practice",
        "street", "st", "avenue", "ave", "road", "rd", "drive", "dr", "lane", "ln", "boulevard", "blvd", "way",
        "court", "ct", "place", "pl", "north", "south", "east", "west", "mr", "mrs", "ms", "miss",
    ]

    static let consonants: [Character] = Array("bcdfghjklmnprstvwz")
    static let vowels: [Character] = Array("aeiou")
    static let clusters: [String] = ["br", "ch", "cl", "dr", "fr", "gr", "kr", "pl", "sh", "st", "th", "tr", "v", "l", "n", "r", "m"]

    /// A pronounceable invented word as long as `word` (±1 letter, at least 2), with its capitalisation pattern
    /// (all capitals, a leading capital, or lower case); never `word` itself.
    static func invented(like word: String, rng: inout RandomSource) -> String {
        let target = max(2, word.count + Int(rng.next() % 3) - 1)
        var out = ""
        while true {
            out = ""
            var vowelNext = rng.next() % 3 == 0
            while out.count < target {
                if vowelNext {
                    out.append(vowels[Int(rng.next() % UInt64(vowels.count))])
                } else if out.count + 2 <= target && rng.next() % 4 == 0 {
                    out += clusters[Int(rng.next() % UInt64(clusters.count))]
                } else {
                    out.append(consonants[Int(rng.next() % UInt64(consonants.count))])
                }
                vowelNext.toggle()
            }
            out = String(out.prefix(target))
            if out.lowercased() != word.lowercased() { break }
        }
        let letters = word.filter(\.isLetter)
        if letters.count > 1 && letters.allSatisfy({ $0.isUppercase }) { return out.uppercased() }
        if word.first?.isUppercase == true { return out.prefix(1).uppercased() + out.dropFirst() }
        return out
    }

    static func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }

    static func digit(rng: inout RandomSource, nonZero: Bool) -> Unicode.Scalar {
        let d = nonZero ? 1 + rng.next() % 9 : rng.next() % 10
        return Unicode.Scalar(UInt8(48 + d))
    }

    static func letter(rng: inout RandomSource, upper: Bool) -> Unicode.Scalar {
        Unicode.Scalar(UInt8((upper ? 65 : 97) + rng.next() % 26))
    }
}
