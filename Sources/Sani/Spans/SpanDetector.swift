import Foundation

/// The built-in detectors of identifiers that have a shape (dates, telephone numbers, e-mail addresses,
/// SSNs, medical record / account / licence numbers, URLs, IP addresses, ZIP codes, ages over 89), each
/// giving the i2b2/n2c2 label of its category.
///
/// Each detector is a few regular expressions compiled once for the process, with checks around the match
/// where the shape alone is ambiguous (a fraction "1/2 tab" is not a date, "MR no regurgitation" is not a
/// record number). Spans are in Unicode-scalar offsets, whatever emoji or accents come before.
public struct SpanDetector: Sendable {
    /// The detectors that run.
    public let kinds: Set<Kind>

    /// A detector running `kinds` (all by default).
    public init(kinds: Set<Kind> = Set(Kind.allCases)) {
        self.kinds = kinds
    }

    /// All compiled rules, in a fixed order.
    static let allRules: [DetectionRule] = {
        let declared = DateRules.rules + ContactRules.rules + NetworkRules.rules + IdentifierRules.rules
            + LocationAndAgeRules.rules
        return declared.compactMap { $0 }
    }()

    /// The number of rules declared (compiled or not), for the tests to check that every pattern compiles.
    static var declaredRuleCount: Int {
        DateRules.rules.count + ContactRules.rules.count + NetworkRules.rules.count + IdentifierRules.rules.count
            + LocationAndAgeRules.rules.count
    }

    /// The sensitive spans of `text` (source `.detector`), sorted, with overlapping spans of one label
    /// merged. A generic match (a bare long number, a bare domain, a month/day without year) that overlaps
    /// a specific one (an MRN, an e-mail, a full date) is dropped.
    public func detect(in text: String) -> [SensitiveSpan] {
        if text.isEmpty || kinds.isEmpty { return [] }
        let context = DetectionContext(text: NSString(string: text))
        let fullRange = NSRange(location: 0, length: context.text.length)
        var specific: [DetectionCandidate] = []
        var generic: [DetectionCandidate] = []
        for rule in Self.allRules where kinds.contains(rule.kind) {
            for match in rule.regex.matches(in: text, options: [], range: fullRange) {
                let range = match.range(at: rule.group)
                guard range.location != NSNotFound, range.length > 0 else { continue }
                var candidate = DetectionCandidate(range: range, label: rule.label)
                if let refine = rule.refine, !refine(&candidate, context) { continue }
                guard candidate.range.length > 0 else { continue }
                if rule.isGeneric { generic.append(candidate) } else { specific.append(candidate) }
            }
        }
        let kept = specific + Self.withoutOverlaps(generic, with: specific)
        let offsets = UTF16ScalarOffsets(text)
        let spans = kept.map { candidate in
            SensitiveSpan(
                start: offsets.scalarOffset(utf16: candidate.range.location),
                end: offsets.scalarOffset(utf16: candidate.range.location + candidate.range.length),
                label: candidate.label, source: .detector)
        }
        return SpanMerger.merge(spans)
    }

    /// The candidates of `generic` that share no UTF-16 unit with any candidate of `specific`.
    private static func withoutOverlaps(
        _ generic: [DetectionCandidate], with specific: [DetectionCandidate]
    ) -> [DetectionCandidate] {
        if generic.isEmpty || specific.isEmpty { return generic }
        let sorted = specific.map { (start: $0.range.location, end: $0.range.location + $0.range.length) }
            .sorted { $0.start < $1.start }
        // reach[i]: the furthest end among the first i + 1 specific ranges (by start).
        var reach: [Int] = []
        reach.reserveCapacity(sorted.count)
        for range in sorted { reach.append(max(reach.last ?? Int.min, range.end)) }
        return generic.filter { candidate in
            let start = candidate.range.location
            let end = start + candidate.range.length
            // Count of specific ranges that start before this candidate ends.
            var low = 0
            var high = sorted.count
            while low < high {
                let mid = (low + high) / 2
                if sorted[mid].start < end { low = mid + 1 } else { high = mid }
            }
            return low == 0 || reach[low - 1] <= start
        }
    }
}
