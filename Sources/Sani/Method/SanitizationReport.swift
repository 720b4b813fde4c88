/// What the erase phase did, so that it can be replayed from the seed.
public struct EraseSummary: Sendable, Equatable, Codable {
    public var selection: NeuronSelection
    public var blocks: [Int]
    public var neuronsPerBlock: Int
    public var fraction: Double
    public var seed: UInt64
    /// Indices of the re-initialised neurons, per erased block.
    public var neurons: [[Int]]
    /// Where the erased neurons' new values come from.
    public var source: EraseSource = .initialisation
    /// With a base model: tokens used mostly inside sensitive spans whose embedding (and output) rows were
    /// restored to the base model's.
    public var restoredTokens: Int?
    /// Where the neurons were drawn from (`scored`: every block by score; absent: the last blocks).
    public var scope: EraseScope?
    /// True when every parameter of the erased blocks was restored to the base model (`eraseWholeBlocks`).
    public var wholeBlocks: Bool?
    /// Values outside the blocks (embeddings, final norm, head) restored to the base model (`eraseEmbeddings`).
    public var restoredOutsideBlocks: Int?
    public var seconds: Double

    public enum EraseSource: String, Sendable, Codable { case initialisation, baseModel = "base-model" }

    public init(selection: NeuronSelection, blocks: [Int], neuronsPerBlock: Int, fraction: Double, seed: UInt64,
                neurons: [[Int]], source: EraseSource = .initialisation, restoredTokens: Int? = nil, seconds: Double) {
        self.selection = selection; self.blocks = blocks; self.neuronsPerBlock = neuronsPerBlock; self.fraction = fraction
        self.seed = seed; self.neurons = neurons; self.source = source; self.restoredTokens = restoredTokens
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case selection, blocks, neuronsPerBlock, fraction, seed, neurons, source, restoredTokens, scope, wholeBlocks, seconds
        case restoredOutsideBlocks
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        selection = try c.decode(NeuronSelection.self, forKey: .selection)
        blocks = try c.decode([Int].self, forKey: .blocks)
        neuronsPerBlock = try c.decode(Int.self, forKey: .neuronsPerBlock)
        fraction = try c.decode(Double.self, forKey: .fraction)
        seed = try c.decode(UInt64.self, forKey: .seed)
        neurons = try c.decode([[Int]].self, forKey: .neurons)
        // Reports and checkpoints written before base models existed.
        source = try c.decodeIfPresent(EraseSource.self, forKey: .source) ?? .initialisation
        restoredTokens = try c.decodeIfPresent(Int.self, forKey: .restoredTokens)
        scope = try c.decodeIfPresent(EraseScope.self, forKey: .scope)
        wholeBlocks = try c.decodeIfPresent(Bool.self, forKey: .wholeBlocks)
        restoredOutsideBlocks = try c.decodeIfPresent(Int.self, forKey: .restoredOutsideBlocks)
        seconds = try c.decode(Double.self, forKey: .seconds)
    }
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
    /// Wall time of loading the model and corpus, finding the sensitive spans and tokenizing (before the first
    /// audit), in the run that wrote the report.
    public var preparationSeconds: Double? = nil
}
