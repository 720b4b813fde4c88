/// Combines the spans that several sources found in one record into one sorted list.
///
/// Spans of the same label that overlap or touch become one span (its source is the most explicit of the
/// merged ones: annotation, then term, then detector, then k-anonymity). Spans of different labels that
/// overlap are both kept: the token mapping decides per token. Exact duplicates are kept once.
public enum SpanMerger {
    /// The merged spans, sorted by start, then end, then label. Empty spans (start >= end) are dropped.
    public static func merge(_ spans: [SensitiveSpan]) -> [SensitiveSpan] {
        var byLabel: [String: [SensitiveSpan]] = [:]
        for span in spans where span.start < span.end {
            byLabel[span.label, default: []].append(span)
        }
        var merged: [SensitiveSpan] = []
        merged.reserveCapacity(spans.count)
        for (_, group) in byLabel {
            let sorted = group.sorted { $0.start != $1.start ? $0.start < $1.start : $0.end < $1.end }
            guard var current = sorted.first else { continue }
            for span in sorted.dropFirst() {
                if span.start <= current.end {
                    current.end = max(current.end, span.end)
                    if span.source.precedence < current.source.precedence { current.source = span.source }
                } else {
                    merged.append(current)
                    current = span
                }
            }
            merged.append(current)
        }
        merged.sort(by: isOrdered)
        return merged
    }

    /// The order of spans in a record: by start, then end, then label, then source.
    static func isOrdered(_ a: SensitiveSpan, _ b: SensitiveSpan) -> Bool {
        if a.start != b.start { return a.start < b.start }
        if a.end != b.end { return a.end < b.end }
        if a.label != b.label { return a.label < b.label }
        return a.source.precedence < b.source.precedence
    }
}
