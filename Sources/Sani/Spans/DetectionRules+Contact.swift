import Foundation

/// Contact rules: telephone numbers (PHONE, or FAX when "fax" comes just before) and e-mail addresses.
enum ContactRules {
    static let rules: [DetectionRule?] = [
        // (617) 555-0199, 617-555-0199, 617.555.0199, +1 617 555 0199, with an optional extension.
        DetectionRule(
            .phone, "PHONE",
            #"(?<![\w+])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)[\s.\-]?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}(?![\d\-])(?:\s*(?:x|ext\.?|extension)\s*\d{1,5}\b)?"#,
            refine: faxOrPhone),
        // International: +44 20 7946 0958, +33 1 23 45 67 89 (8 to 15 digits).
        DetectionRule(
            .phone, "PHONE", #"(?<![\w+])\+[1-9]\d{0,2}(?:[\s.\-]?\(?\d{1,4}\)?)(?:[\s.\-]?\d{2,4}){1,5}(?!\d)"#,
            refine: { candidate, context in
                let digits = context.string(candidate.range).filter(\.isNumber).count
                return (8...15).contains(digits) && faxOrPhone(&candidate, context)
            }),
        // A seven-digit local number after a telephone keyword: "tel 555-0199", "cell: 555 0199".
        DetectionRule(
            .phone, "PHONE",
            #"\b(?:phone|telephone|tel|cell|mobile|ph|fax|call|contact)\b\.?\s*(?:(?:no|number|num)\b\.?\s*)?[:#]?\s*(\d{3}[\s.\-]\d{4})(?![\d\-])"#,
            group: 1, refine: faxOrPhone),
        // Pager and extension numbers: "pager 41234", "ext. 5512".
        DetectionRule(
            .phone, "PHONE", #"\b(?:pager|beeper|pgr|ext|extension)\b\.?\s*(?:#|no\.?|number)?\s*:?\s*(\d{4,6})\b"#,
            group: 1, refine: faxOrPhone),
        // jane.doe@mgh.harvard.edu, josé.martin@clinique.fr (letters and digits rather than \w before the
        // address: ICU's \w counts emoji variation selectors, which would hide an address right after 🧑‍⚕️).
        DetectionRule(
            .email, "EMAIL",
            #"(?<![\p{L}\p{N}_.%+\-])[\p{L}\p{N}][\p{L}\p{N}._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"#),
    ]

    /// Labels a telephone number FAX when "fax" is written just before it on the same line (and after any
    /// earlier number), PHONE otherwise.
    static let faxOrPhone: DetectionRule.Refinement = { candidate, context in
        var before = Substring(context.before(candidate.range, length: 24))
        if let lastDigit = before.lastIndex(where: \.isNumber) {
            before = before[before.index(after: lastDigit)...]
        }
        candidate.label = before.contains("fax") ? "FAX" : "PHONE"
        return true
    }
}
