/// Record-level figures of a corpus, for reports and for checking that the right file was given.
public struct CorpusStatistics: Sendable, Equatable, Codable {
    /// The number of records.
    public var records: Int
    /// The number of distinct subjects among the records that have one.
    public var subjects: Int
    /// The number of records without a subject.
    public var recordsWithoutSubject: Int
    /// The number of characters (Unicode scalars) over all records.
    public var characters: Int
    /// The number of spans given with the records.
    public var annotations: Int

    public init(records: Int, subjects: Int, recordsWithoutSubject: Int, characters: Int, annotations: Int) {
        self.records = records
        self.subjects = subjects
        self.recordsWithoutSubject = recordsWithoutSubject
        self.characters = characters
        self.annotations = annotations
    }
}
