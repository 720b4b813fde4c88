import Foundation

/// A match of a detection rule before it becomes a span: its UTF-16 range and its label, which a rule's
/// refinement may move (trim punctuation) or change (PHONE → FAX).
struct DetectionCandidate {
    var range: NSRange
    var label: String
}

/// The text a rule runs over, for refinements that look at the words around a match.
struct DetectionContext {
    let text: NSString

    /// Up to `length` UTF-16 units before `range`, lowercased, cut after the last line break.
    func before(_ range: NSRange, length: Int) -> String {
        let start = max(0, range.location - length)
        let window = text.substring(with: NSRange(location: start, length: range.location - start)).lowercased()
        if let lastBreak = window.lastIndex(of: "\n") { return String(window[window.index(after: lastBreak)...]) }
        return window
    }

    /// Up to `length` UTF-16 units after `range`, lowercased, cut at the first line break.
    func after(_ range: NSRange, length: Int) -> String {
        let start = range.location + range.length
        let window = text.substring(with: NSRange(location: start, length: min(length, text.length - start))).lowercased()
        if let firstBreak = window.firstIndex(of: "\n") { return String(window[..<firstBreak]) }
        return window
    }

    /// The text of `range`.
    func string(_ range: NSRange) -> String {
        text.substring(with: range)
    }
}

/// One regular expression of a built-in detector: what it finds, which capture group is the identifier,
/// and an optional refinement that checks or adjusts each match.
struct DetectionRule: Sendable {
    typealias Refinement = @Sendable (_ candidate: inout DetectionCandidate, _ context: DetectionContext) -> Bool

    /// The detector the rule belongs to.
    let kind: SpanDetector.Kind
    /// The label its spans get (a refinement may change it).
    let label: String
    /// The compiled pattern (compiled once per process; `NSRegularExpression` is immutable and Sendable).
    let regex: NSRegularExpression
    /// The capture group that holds the identifier (0: the whole match), so that a keyword such as
    /// "MRN:" stays outside the span.
    let group: Int
    /// A generic rule (bare long numbers, bare domains) yields to any specific rule's span it overlaps.
    let isGeneric: Bool
    /// Checks a match and may adjust it; `false` drops it.
    let refine: Refinement?

    /// Compiles a rule; `nil` when the pattern does not compile (a programming error, caught by the tests).
    init?(
        _ kind: SpanDetector.Kind, _ label: String, _ pattern: String, group: Int = 0,
        caseInsensitive: Bool = true, isGeneric: Bool = false, refine: Refinement? = nil
    ) {
        let options: NSRegularExpression.Options = caseInsensitive ? [.caseInsensitive] : []
        guard let regex = try? NSRegularExpression(pattern: pattern, options: options) else {
            assertionFailure("detection pattern does not compile: \(pattern)")
            return nil
        }
        self.kind = kind
        self.label = label
        self.regex = regex
        self.group = group
        self.isGeneric = isGeneric
        self.refine = refine
    }
}
