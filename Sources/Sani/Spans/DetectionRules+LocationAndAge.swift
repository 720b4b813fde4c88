import Foundation

/// ZIP codes (after a US state or the word "zip") and ages over 89 (HIPAA Safe Harbor keeps younger ages).
enum LocationAndAgeRules {
    static let stateAbbreviations = [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
        "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
        "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
        "PR", "GU", "VI",
    ]
    static let stateNames = [
        "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
        "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky",
        "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri",
        "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York",
        "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island",
        "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington",
        "West Virginia", "Wisconsin", "Wyoming", "Puerto Rico",
    ]
    /// 90 to 129.
    static let oldAge = #"(9\d|1[0-2]\d)"#

    static let rules: [DetectionRule?] = [
        // Boston, MA 02114 / Massachusetts 02114-2696 / zip code: 02114 (state abbreviations in capitals).
        DetectionRule(
            .zip, "ZIP",
            #"(?:\b(?:"# + stateAbbreviations.joined(separator: "|") + "|" + stateNames.joined(separator: "|")
                + #")\.?,?\s+|(?i:\bzip(?:\s*code)?|\bpostal\s+code)\s*[:#]?\s*)(\d{5}(?:-\d{4})?)(?![\d\-])"#,
            group: 1, caseInsensitive: false),
        // 92-year-old, 92 year old, 101-yr-old
        DetectionRule(.age, "AGE", #"\b"# + oldAge + #"(?:\s*-\s*|\s+)(?:years?|yrs?)(?:\s*-\s*|\s+)old\b"#, group: 1),
        // 93 yo, 93 y/o, 93 y.o., 93 years of age, 93 yrs old
        DetectionRule(
            .age, "AGE", #"\b"# + oldAge + #"\s*(?:yo|y/o|y\.o\.?|years?\s+of\s+age|yrs?\.?\s+old)(?![\w/])"#,
            group: 1),
        // age 95, aged 101, age: 97 (not "age 95 mg").
        DetectionRule(
            .age, "AGE", #"\b(?:age|aged)\s*[:=]?\s*"# + oldAge + #"\b(?!\s*(?:mg|kg|%|lbs?|cm|mm|min|days?|weeks?|months?)\b)"#,
            group: 1),
        // in her 90s, in his late 90's
        DetectionRule(
            .age, "AGE", #"\bin\s+(?:his|her|their)\s+(?:early\s+|mid\s+|mid-|late\s+)?(9\d'?s|1[0-2]\d'?s)\b"#,
            group: 1),
    ]
}
