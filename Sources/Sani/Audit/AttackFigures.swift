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
    /// The same attack on the identifiers alone (nil when no record on one side has a sensitive token).
    public var identifiers: IdentifierMembershipFigure? = nil
    /// The reference attack (with a reference model that never saw the corpus): AUC of a record's mean
    /// log-probability minus the reference's. Unlike `lossAUC`, it does not read notes that are simply easier or
    /// harder than the held-out ones as membership: the reference scores 0.5 against itself.
    public var referenceLossAUC: Double? = nil
    /// Standard errors of the AUCs above (DeLong; nil with fewer than two records on a side): with 10 held-out
    /// notes an AUC is known to about ±0.1, so a reading near a bar says little either way.
    public var lossAUCStandardError: Double? = nil
    public var minKAUCStandardError: Double? = nil
    public var referenceLossAUCStandardError: Double? = nil

    /// The reference attack's reading (AUC and its standard error).
    public mutating func setReference(_ reading: (auc: Double, standardError: Double?)?) {
        referenceLossAUC = reading?.auc
        referenceLossAUCStandardError = reading?.standardError
    }

    public init(lossAUC: Double, minKAUC: Double, k: Double, members: Int, nonMembers: Int) {
        self.lossAUC = lossAUC; self.minKAUC = minKAUC; self.k = k; self.members = members; self.nonMembers = nonMembers
    }
}

/// Membership inference on the identifiers of the records: whether the sensitive tokens of a training note are
/// more (or, after over-forgetting, less) likely to the model than those of a note it never saw. The repair
/// trains on the notes' other tokens, so a sanitized model still tells its training notes from others by their
/// ordinary text (`MembershipFigure.lossAUC`); this figure asks the patient's question: are *my identifiers* in
/// there? 0.5 is chance; far below 0.5 an attacker learns membership too, by flipping the score.
public struct IdentifierMembershipFigure: Sendable, Equatable, Codable {
    /// AUC of the mean log-probability of a record's sensitive tokens.
    public var lossAUC: Double
    public var members: Int
    public var nonMembers: Int
    /// Standard error of `lossAUC` (DeLong; nil with fewer than two records on a side).
    public var lossAUCStandardError: Double? = nil

    public init(lossAUC: Double, members: Int, nonMembers: Int) {
        self.lossAUC = lossAUC; self.members = members; self.nonMembers = nonMembers
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
    /// With a reference model: the reference relearned the same way (same notes, steps and batches), and the spans
    /// the relearned audited model reproduces that the relearned reference does not.
    public var beyondReference: ReferenceExtractionFigure?

    public init(steps: Int, learningRate: Double, spanExtraction: RateFigure, spanExtractionByLabel: [String: RateFigure]) {
        self.steps = steps; self.learningRate = learningRate; self.spanExtraction = spanExtraction
        self.spanExtractionByLabel = spanExtractionByLabel
    }
}

/// Span extraction measured against a reference model that never saw the corpus (the model the fine-tune started
/// from): a span that the reference also reproduces is written from general knowledge (a common drug after its
/// condition, a date format), not from memory of the notes. `spanExtraction` counts the spans the audited model
/// reproduces and the reference does not, over every audited span; the absolute figure stays in the report.
public struct ReferenceExtractionFigure: Sendable, Equatable, Codable {
    /// Extracted by the audited model, not by the reference (of every span audited).
    public var spanExtraction = RateFigure()
    public var spanExtractionByLabel: [String: RateFigure] = [:]
    /// Extracted by the reference itself (greedy, the same prompts).
    public var referenceExtraction = RateFigure()
    /// With sampled extraction: extracted by the audited model greedily or in one of its samples, and by the
    /// reference in neither (the reference samples the same prompts with the same seeds).
    public var sampledExtraction: RateFigure?
    /// With sampled extraction: what the reference extracts greedily or in one of its samples.
    public var referenceSampledExtraction: RateFigure?

    public init() {}

    mutating func addSampled(extracted: Bool, byReference: Bool) {
        var beyond = sampledExtraction ?? RateFigure(), own = referenceSampledExtraction ?? RateFigure()
        beyond.add(extracted && !byReference)
        own.add(byReference)
        sampledExtraction = beyond
        referenceSampledExtraction = own
    }

    mutating func add(label: String, extracted: Bool, byReference: Bool) {
        spanExtraction.add(extracted && !byReference)
        spanExtractionByLabel[label, default: RateFigure()].add(extracted && !byReference)
        referenceExtraction.add(byReference)
    }
}
