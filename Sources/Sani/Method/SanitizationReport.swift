/// What the erase phase did, so that it can be replayed from the seed.
public struct EraseSummary: Sendable, Equatable, Codable {
    public var selection: NeuronSelection
    public var blocks: [Int]
    public var neuronsPerBlock: Int
    public var fraction: Double
    public var seed: UInt64
    /// Indices of the re-initialised neurons, per erased block.
    public var neurons: [[Int]]
    public var seconds: Double
}

/// The full result of a sanitization: inputs in figures, what each phase did, and the audits.
public struct SanitizationReport: Sendable, Equatable, Codable {
    public var method: SanitizationMethod
    public var options: SanitizationOptions
    public var modelFamily: String
    public var parameterCount: Int
    public var corpus: CorpusStatistics
    public var trainingTokens: Int
    public var sensitiveTokens: Int
    public var spansByLabel: [String: Int]
    public var spansBySource: [String: Int]
    public var erase: EraseSummary?
    public var before: AuditReport
    public var epochs: [AuditReport]
    public var after: AuditReport
    /// Epoch whose weights were kept (0: the state before repair).
    public var bestEpoch: Int
    public var stoppedEarly: Bool
    public var seconds: Double
}
