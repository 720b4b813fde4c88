/// The sensitive spans of every record of a corpus (the paper's blacklist), with counts for reports.
public struct Blacklist: Sendable, Equatable, Codable {
    /// The merged spans of each record, in record order (index `i` belongs to `corpus.records[i]`).
    public var spans: [[SensitiveSpan]]
    /// The number of merged spans per label.
    public var countsByLabel: [String: Int]
    /// The number of merged spans per source (a merged span counts for its most explicit source).
    public var countsBySource: [SpanSource: Int]

    public init(spans: [[SensitiveSpan]]) {
        self.spans = spans
        var byLabel: [String: Int] = [:]
        var bySource: [SpanSource: Int] = [:]
        for record in spans {
            for span in record {
                byLabel[span.label, default: 0] += 1
                bySource[span.source, default: 0] += 1
            }
        }
        countsByLabel = byLabel
        countsBySource = bySource
    }

    /// The total number of spans.
    public var totalSpans: Int { spans.reduce(0) { $0 + $1.count } }

    /// The number of scalars covered by at least one span, over all records.
    public var sensitiveCharacters: Int {
        spans.reduce(0) { total, record in
            var covered = 0
            var reach = Int.min
            for span in record {  // sorted by start
                let start = max(span.start, reach)
                if span.end > start { covered += span.end - start }
                reach = max(reach, span.end)
            }
            return total + covered
        }
    }

    /// `corpus` with each record's annotations replaced by its spans here, so that the spans follow their
    /// records through `Corpus.split`. Throws when the corpus does not have as many records as the blacklist.
    public func annotating(_ corpus: Corpus) throws -> Corpus {
        guard corpus.records.count == spans.count else {
            throw SaniError.invalidArgument(
                "the blacklist has \(spans.count) records but the corpus has \(corpus.records.count)")
        }
        var annotated = corpus
        for index in annotated.records.indices {
            annotated.records[index].annotations = spans[index]
        }
        return annotated
    }
}
