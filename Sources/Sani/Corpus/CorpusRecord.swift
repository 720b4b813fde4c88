/// One document of a fine-tuning corpus (a clinical note, a letter...), with what is known about it.
public struct CorpusRecord: Sendable, Equatable, Codable {
    /// The text the model was fine-tuned on.
    public var text: String
    /// Who the record is about (e.g. `"patient-17"`), used by k-anonymity and by the held-out split.
    public var subject: String?
    /// The caller's identifier of the record, if any.
    public var id: String?
    /// Sensitive spans of `text`: those given with the corpus, or those a `Blacklist` assigned to it.
    public var annotations: [SensitiveSpan]

    public init(text: String, subject: String? = nil, id: String? = nil, annotations: [SensitiveSpan] = []) {
        self.text = text
        self.subject = subject
        self.id = id
        self.annotations = annotations
    }
}
