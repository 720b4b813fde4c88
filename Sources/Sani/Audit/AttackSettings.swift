/// The stronger attacks an audit can run on top of its ordinary figures. A masked model (BERT) is attacked with
/// membership inference (its records' masked-token log-probabilities), the relearning attack (masked-LM loss) and,
/// with a reference, span filling beyond the reference; extraction by prefix and exposure are for causal models.
public struct AttackSettings: Sendable, Equatable {
    /// Membership inference of training records against held-out notes (needs held-out notes).
    public var membership: Bool = true
    /// Fraction of a record's lowest-probability tokens that the min-k % score averages.
    public var minKFraction: Double = 0.2
    /// Span extraction from a short prefix, next to the configured P and the whole context before the span.
    public var shortPrefixTokens: Int = 8
    /// Random candidates per digit-shaped span for exposure (0: no exposure).
    public var exposureCandidates: Int = 100
    /// Digit-shaped spans measured at most (a seeded sample).
    public var maxExposureSpans: Int = 200
    /// Fine-tuning steps of the relearning attack on the held-out notes (0: no relearning attack).
    public var relearnSteps: Int = 20
    public var relearnBatchSize: Int = 8
    public var relearnLearningRate: Double = 1e-4
    /// Tokens per sequence of the relearning fine-tune.
    public var relearnSequenceLength: Int = 128
    /// With a reference model: sample it as the audited model is sampled and relearn it as the audited model is
    /// relearned, so that sampled extraction and the relearning attack are also read beyond the reference (about
    /// doubles the cost of both).
    public var againstReference: Bool = true

    public init() {}
}
