import Foundation

/// Date rules: numeric (03/14/2021, 14.03.2021, 3-14-21), ISO (2021-03-14), with a month name
/// (March 14, 2021; 14 March 2021; Mar 14th; 14th of March; March 2021) and month/day without a year (3/14).
/// A month name alone ("Jan") or a bare year is not a date identifier.
enum DateRules {
    /// Month names and abbreviations, capitalized or upper case (a lower-case "may" is a verb).
    static let month: String = {
        let names: [(String, String)] = [
            ("Jan", "uary"), ("Feb", "ruary"), ("Mar", "ch"), ("Apr", "il"), ("May", ""), ("Jun", "e"),
            ("Jul", "y"), ("Aug", "ust"), ("Sep", "tember"), ("Sept", "ember"), ("Oct", "ober"),
            ("Nov", "ember"), ("Dec", "ember"),
        ]
        var alternatives: [String] = []
        for (stem, rest) in names {
            for (s, r) in [(stem, rest), (stem.uppercased(), rest.uppercased())] {
                alternatives.append(r.isEmpty ? s : "\(s)(?:\(r))?")
            }
        }
        // Longer stems first so that "Sept" is tried before "Sep".
        return "(?:" + alternatives.sorted { $0.count > $1.count }.joined(separator: "|") + ")"
    }()
    static let day = #"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"#
    static let year = #"(?:1[89]|20)\d{2}"#

    static let rules: [DetectionRule?] = [
        // 03/14/2021, 14.03.2021, 3-14-21: same separator twice, two-digit or four-digit year.
        DetectionRule(
            .date, "DATE", #"(?<![\d/.\-])\d{1,2}([/.\-])\d{1,2}\1(?:\d{4}|\d{2})(?![\d/\-]|\.\d)"#,
            refine: validDayAndMonth),
        // 2021-03-14, 2021/3/14.
        DetectionRule(
            .date, "DATE",
            #"(?<![\d/.\-])"# + year + #"([/.\-])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?![\d/\-]|\.\d)"#),
        // March 14, 2021 / Mar 14th / Mar. 14 (a two-digit year such as '21 is left out: too ambiguous).
        DetectionRule(
            .date, "DATE", #"\b"# + month + #"\.?\s+"# + day + #"\b(?:,?\s+"# + year + #"\b)?"#,
            caseInsensitive: false),
        // 14 March 2021 / 14th of March / 14 Mar. 2021 (a period after the month only before a year, so that
        // the full stop of "on the 2nd of February." stays out of the span).
        DetectionRule(
            .date, "DATE", #"\b"# + day + #"(?:\s+of)?\s+"# + month + #"\b(?:\.?,?\s+"# + year + #"\b)?"#,
            caseInsensitive: false),
        // March 2021 / Mar. 2021.
        DetectionRule(.date, "DATE", #"\b"# + month + #"\.?,?\s+"# + year + #"\b"#, caseInsensitive: false),
        // 3/14 without a year: only when the words around it do not make it a fraction or a score.
        DetectionRule(
            .date, "DATE", #"(?<![\d/.\-])(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])(?![\d/]|\.\d)"#,
            isGeneric: true, refine: monthDayInContext),
    ]

    /// Two numbers that can be a day and a month in either order (both 1...31, one of them ≤ 12).
    static let validDayAndMonth: DetectionRule.Refinement = { candidate, context in
        let parts = context.string(candidate.range).split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard parts.count == 3 else { return false }
        let (a, b) = (parts[0], parts[1])
        return (1...31).contains(a) && (1...31).contains(b) && min(a, b) <= 12
    }

    /// Words before "3/14" that make it a score (pain 7/10, strength 5/5, BP 1/2...).
    static let scoreWordsBefore = [
        "pain", "strength", "motor", "power", "grip", "score", "scale", "rated", "rates", "bp", "ratio",
        "reflexes", "murmur", "grade", "gcs", "apgar", "ef", "sats",
    ]
    /// Words after "1/2" that make it a fraction or a score (1/2 tab, 2/3 of, 4/5 bilaterally...).
    static let fractionWordsAfter = [
        "tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "capsules", "of", "cup", "cups", "tsp",
        "tbsp", "dose", "doses", "pill", "pills", "strength", "pain", "bilat", "bilaterally", "in", "inch",
        "inches", "mg", "ml", "units", "ns", "normal", "power", "murmur", "systolic", "holosystolic", "score",
        "x", "times",
    ]

    static let monthDayInContext: DetectionRule.Refinement = { candidate, context in
        let before = context.before(candidate.range, length: 24)
            .trimmingCharacters(in: CharacterSet.letters.inverted)
        if let lastWord = before.split(whereSeparator: { !$0.isLetter }).last,
           scoreWordsBefore.contains(String(lastWord)) {
            return false
        }
        let after = context.after(candidate.range, length: 24)
        if after.hasPrefix("\"") || after.hasPrefix("'") { return false }  // inches
        let firstWord = after.trimmingCharacters(in: .whitespaces)
            .split(whereSeparator: { !$0.isLetter }).first.map(String.init)
        if let firstWord, after.trimmingCharacters(in: .whitespaces).first?.isLetter == true,
           fractionWordsAfter.contains(firstWord) {
            return false
        }
        return true
    }
}
