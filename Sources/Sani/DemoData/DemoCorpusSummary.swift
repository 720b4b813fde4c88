/// What a generated corpus holds, for the one-line summary `sani demo-data` prints.
public struct DemoCorpusSummary: Sendable, Equatable, CustomStringConvertible {
    /// The number of records.
    public var records: Int
    /// The number of distinct subjects.
    public var patients: Int
    /// The number of characters (Unicode scalars) over all records.
    public var characters: Int
    /// The number of annotated spans of each label.
    public var spansPerLabel: [String: Int]

    public init(_ corpus: Corpus) {
        let statistics = corpus.statistics
        records = statistics.records
        patients = statistics.subjects
        characters = statistics.characters
        var counts: [String: Int] = [:]
        for record in corpus.records {
            for span in record.annotations { counts[span.label, default: 0] += 1 }
        }
        spansPerLabel = counts
    }

    /// The total number of spans.
    public var spans: Int { spansPerLabel.values.reduce(0, +) }

    /// "200 records, 50 patients, 112034 characters, 2210 spans (AGE 140, DATE 610, ...)", labels sorted.
    public var description: String {
        let labels = spansPerLabel.keys.sorted().map { "\($0) \(spansPerLabel[$0] ?? 0)" }.joined(separator: ", ")
        return "\(records) records, \(patients) patients, \(characters) characters, \(spans) spans (\(labels))"
    }
}
