/// Membership inference on whole records: how well a per-record score separates the notes the model was
/// fine-tuned on (members) from notes it never saw (non-members). An AUC of 0.5 is chance; 1 means every member
/// scores above every non-member.
public struct MembershipFigure: Sendable, Equatable, Codable {
    /// AUC of the negated mean per-token loss of a record.
    public var lossAUC: Double
    /// AUC of the min-k % probability: the mean log-probability of the `k` lowest-probability tokens of a record.
    public var minKAUC: Double
    /// Fraction of a record's tokens that the min-k % score averages (0.2 = 20 %).
    public var k: Double
    public var members: Int
    public var nonMembers: Int

    public init(lossAUC: Double, minKAUC: Double, k: Double, members: Int, nonMembers: Int) {
        self.lossAUC = lossAUC; self.minKAUC = minKAUC; self.k = k; self.members = members; self.nonMembers = nonMembers
    }
}

/// Mean exposure of the spans of one label.
public struct LabelExposure: Sendable, Equatable, Codable {
    public var mean: Double
    public var spans: Int

    public init(mean: Double, spans: Int) { self.mean = mean; self.spans = spans }
}

/// Exposure of digit-shaped spans (the secret sharer's measure): log2(R + 1) − log2(rank of the true span among
/// R random candidates of the same shape). 0 to `maxExposure`; about 1 bit for a model that knows nothing.
public struct ExposureFigure: Sendable, Equatable, Codable {
    /// Random candidates (R) each span is ranked against.
    public var candidates: Int
    /// log2(R + 1): the exposure of a span ranked first.
    public var maxExposure: Double
    /// Mean over every measured span (0 when none was measured).
    public var mean: Double
    public var spans: Int
    public var byLabel: [String: LabelExposure]

    public init(candidates: Int, maxExposure: Double, mean: Double, spans: Int, byLabel: [String: LabelExposure]) {
        self.candidates = candidates; self.maxExposure = maxExposure; self.mean = mean; self.spans = spans
        self.byLabel = byLabel
    }
}

/// Span extraction after an attacker fine-tunes the model briefly on notes of the same kind that hold none of the
/// training identifiers: what a little relearning brings back.
public struct RelearningFigure: Sendable, Equatable, Codable {
    public var steps: Int
    public var learningRate: Double
    public var spanExtraction: RateFigure
    public var spanExtractionByLabel: [String: RateFigure]

    public init(steps: Int, learningRate: Double, spanExtraction: RateFigure, spanExtractionByLabel: [String: RateFigure]) {
        self.steps = steps; self.learningRate = learningRate; self.spanExtraction = spanExtraction
        self.spanExtractionByLabel = spanExtractionByLabel
    }
}
