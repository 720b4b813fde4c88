/// A count out of a total, with its rate.
public struct RateFigure: Sendable, Equatable, Codable {
    public var count: Int
    public var total: Int
    public var rate: Double { total == 0 ? 0 : Double(count) / Double(total) }

    public init(count: Int = 0, total: Int = 0) { self.count = count; self.total = total }

    public mutating func add(_ hit: Bool) { total += 1; if hit { count += 1 } }

    enum CodingKeys: String, CodingKey { case count, total, rate }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        total = try c.decode(Int.self, forKey: .total)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(total, forKey: .total)
        try c.encode(rate, forKey: .rate)
    }
}

/// How useful the model still is, on non-sensitive positions.
public struct UtilityFigure: Sendable, Equatable, Codable {
    public var perplexity: Double
    /// Top-1 accuracy of the next-token (or masked-token) prediction.
    public var accuracy: Double
    public var positions: Int
    /// `held-out` or `corpus`.
    public var split: String
}

/// One regurgitated span, only reported when the caller asks for examples explicitly.
public struct AuditExample: Sendable, Equatable, Codable {
    public var label: String
    public var record: Int
    public var expected: String
    public var generated: String
}

/// The audit of one model state: the paper's token regurgitation, the stronger span extraction, and utility.
public struct AuditReport: Sendable, Equatable, Codable {
    /// `before`, `epoch-N`, `after`.
    public var stage: String
    /// Teacher-forced top-1 prediction equals the true sensitive token.
    public var tokenRegurgitation: RateFigure
    public var tokenRegurgitationByLabel: [String: RateFigure]
    /// Greedy decoding from up to P preceding tokens reproduces the whole span.
    public var spanExtraction: RateFigure
    public var spanExtractionByLabel: [String: RateFigure]
    /// Any of n samples at temperature T reproduces the span (when samples were asked for).
    public var sampledExtraction: RateFigure?
    public var utility: UtilityFigure
    public var examples: [AuditExample]?
    public var seconds: Double
    /// Mean repair loss of the epoch this audit follows.
    public var trainingLoss: Double?
    /// Attacks (nil when not measured; see `AttackSettings`).
    /// Training records against held-out notes.
    public var membership: MembershipFigure? = nil
    /// Greedy span extraction by prefix length: `"8"`, the configured P (e.g. `"32"`) and `"all"`.
    public var spanExtractionByPrefix: [String: RateFigure]? = nil
    public var exposure: ExposureFigure? = nil
    /// Span extraction after a brief fine-tune on the held-out notes.
    public var relearned: RelearningFigure? = nil
    /// Greedy span extraction beyond a reference model that never saw the corpus (when one was given).
    public var beyondReference: ReferenceExtractionFigure? = nil
    /// Wall time of the repair epoch this audit follows (its audit is `seconds`).
    public var trainingSeconds: Double? = nil
    /// With a membership floor: where it stood at the end of the repair epoch this audit follows, and how many of
    /// the epoch's repair windows it left out.
    public var membershipFloor: MembershipFloorFigure? = nil
    /// Causal models: greedy span extraction of the spans whose tokens do not occur in their own prompt. A span the
    /// prompt already holds (a surname repeated a line after the full name) can be copied from the context by any
    /// model that knows the notes' format; the rest had to come from the weights.
    public var spanExtractionBeyondPrompt: RateFigure? = nil
}

/// The membership floor of one repair epoch (`SanitizationOptions.membershipFloor`).
public struct MembershipFloorFigure: Sendable, Equatable, Codable {
    /// The floor at the end of the epoch: the running mean loss of the calibration notes.
    public var level: Double
    /// Repair windows left out because the model's loss on them was below the floor.
    public var skippedWindows: Int
    /// Repair windows read in the epoch.
    public var windows: Int

    public init(level: Double, skippedWindows: Int, windows: Int) {
        self.level = level; self.skippedWindows = skippedWindows; self.windows = windows
    }
}
