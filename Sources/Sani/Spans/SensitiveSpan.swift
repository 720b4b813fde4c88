/// Where a sensitive span came from.
///
/// It encodes as its name, also as a dictionary key (`{"annotation": 12, "detector": 40}`).
public enum SpanSource: String, Sendable, Codable, CodingKeyRepresentable, CaseIterable, Hashable {
    /// Given with the corpus (`spans` of a JSONL record).
    case annotation
    /// An occurrence of a term of the terms file.
    case term
    /// Found by a built-in detector of shaped identifiers (dates, phones, record numbers...).
    case detector
    /// A word that too few subjects share (k-anonymity).
    case kAnonymity

    /// The order in which sources win when spans of one label are merged: the most explicit first.
    var precedence: Int {
        switch self {
        case .annotation: return 0
        case .term: return 1
        case .detector: return 2
        case .kAnonymity: return 3
        }
    }
}

/// A character range of a record's text that must not be memorized, with its category.
///
/// `start` and `end` are Unicode-scalar offsets (Python code points), half-open: the span covers
/// scalars `start..<end`. `label` is an i2b2/n2c2 category (`PATIENT`, `DATE`, `MEDICALRECORD`...), a
/// label from the caller's annotations or terms, `TERM`, or `INDIRECT` (k-anonymity).
public struct SensitiveSpan: Sendable, Hashable, Codable {
    /// The first scalar of the span.
    public var start: Int
    /// One past the last scalar of the span.
    public var end: Int
    /// The category of the identifier.
    public var label: String
    /// Which source found it.
    public var source: SpanSource

    public init(start: Int, end: Int, label: String, source: SpanSource) {
        self.start = start
        self.end = end
        self.label = label
        self.source = source
    }

    /// The number of scalars covered.
    public var length: Int { end - start }

    /// Whether the two spans share at least one scalar.
    public func overlaps(_ other: SensitiveSpan) -> Bool {
        start < other.end && other.start < end
    }

    /// The text the span covers in `text` (whose scalars the offsets count); empty when out of range.
    public func text(in text: String) -> String {
        let scalars = text.unicodeScalars
        guard start >= 0, start <= end, end <= scalars.count else { return "" }
        let lower = scalars.index(scalars.startIndex, offsetBy: start)
        let upper = scalars.index(lower, offsetBy: end - start)
        return String(scalars[lower..<upper])
    }
}
