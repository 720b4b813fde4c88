/// Fills the plain placeholders of the notes' phrases: pronouns and plausible clinical values.
///
/// Placeholders it does not know (the identifiers a note template names) are left as they are, for
/// `AnnotatedTextBuilder` to fill and annotate.
enum DemoClinicalValues {
    /// `phrase` with its pronoun and value placeholders filled for a patient of `sex`. A placeholder of
    /// `fixed` takes its value there (so that "{days}" is the same number all through a note).
    static func fill(
        _ phrase: String, sex: DemoSex, fixed: [String: String] = [:], random: inout DemoRandom
    ) -> String {
        guard phrase.contains("{") else { return phrase }
        var result = ""
        var rest = Substring(phrase)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            result += rest[..<open]
            let key = String(rest[rest.index(after: open)..<close])
            result += fixed[key] ?? value(for: key, sex: sex, random: &random) ?? String(rest[open...close])
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// The text of one placeholder, or `nil` when it is not a plain placeholder.
    private static func value(for key: String, sex: DemoSex, random: inout DemoRandom) -> String? {
        switch key {
        case "he": return sex == .female ? "she" : "he"
        case "He": return sex == .female ? "She" : "He"
        case "his": return sex == .female ? "her" : "his"
        case "His": return sex == .female ? "Her" : "His"
        case "him": return sex == .female ? "her" : "him"
        case "days": return String(random.int(in: 2...6))
        case "day": return String(random.int(in: 2...5))
        case "hours": return String(random.int(in: 2...10))
        case "weeks": return String(random.int(in: 2...8))
        case "temp": return random.decimal(in: 37.8...39.6, decimals: 1)
        case "tnormal": return random.decimal(in: 36.4...37.5, decimals: 1)
        case "weight": return String(random.int(in: 48...118))
        case "hr": return String(random.int(in: 62...128))
        case "bp": return "\(random.int(in: 104...172))/\(random.int(in: 58...98))"
        case "bphigh": return "\(random.int(in: 182...224))/\(random.int(in: 108...132))"
        case "rr": return String(random.int(in: 14...26))
        case "spo2": return String(random.int(in: 86...98))
        case "wbc": return random.decimal(in: 4.5...19.8, decimals: 1)
        case "hgb": return random.decimal(in: 6.8...14.2, decimals: 1)
        case "cr": return random.decimal(in: 0.7...3.4, decimals: 1)
        case "k": return random.decimal(in: 3.2...5.6, decimals: 1)
        case "na": return String(random.int(in: 129...144))
        case "a1c": return random.decimal(in: 6.4...11.8, decimals: 1)
        case "glucose": return String(random.int(in: 180...420))
        case "trop": return random.decimal(in: 0.08...2.4, decimals: 2)
        case "bnp": return String(random.int(in: 420...2400))
        case "inr": return random.decimal(in: 0.9...1.6, decimals: 1)
        case "lactate": return random.decimal(in: 0.9...3.8, decimals: 1)
        case "ef": return String(5 * random.int(in: 5...12))
        case "lipase": return String(random.int(in: 480...3200))
        default: return nil
        }
    }
}
