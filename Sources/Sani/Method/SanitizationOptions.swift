import Foundation
import SaniEngine

/// Every parameter of a sanitization, with defaults that follow the paper (erase the final block's MLP with
/// r = 0.5 chosen at random, then repair for up to 2 epochs), but for targeted forgetting during the repair, on
/// for causal models (see `effectiveForgetWeight`), and for runs with a base model, whose erase restores every
/// block and the embeddings to it, whose repair runs 3 epochs and trains on the calibration notes when they are
/// given (`resolved(objective:hasBase:hasCalibration:blockCount:)` fills in every default a run's inputs decide).
/// Decoding rejects unknown fields, so a typo in a job request is an error rather than a silently ignored setting.
public struct SanitizationOptions: Sendable, Equatable, Codable {
    public var method: SanitizationMethod = .sani
    public var selection: NeuronSelection = .random
    /// Number of last transformer blocks whose MLP neurons are erased (L). nil: 1 (the paper), or every block
    /// when the run has a base model (see `effectiveEraseLayers`).
    public var eraseLayers: Int?
    /// Fraction of MLP neurons erased in each of those blocks (r). nil: 0.5 (the paper), or 1 with a base model.
    public var eraseFraction: Double?
    /// Repair epochs (at most; the best epoch is kept). nil: 2 (the paper), or 3 with a base model or a repair on
    /// the calibration notes (see `effectiveEpochs`).
    public var epochs: Int?
    public var learningRate: Double = 1e-4
    public var warmupSteps: Int = 0
    /// Repair learning rate over the steps: constant (the paper), or cosine decay from the peak to a tenth of it
    /// by the last epoch, which ends the repair at a low rate.
    public var learningRateSchedule: LearningRateSchedule.Shape = .constant
    public var weightDecay: Double = 0.01
    public var batchSize: Int = 8
    public var sequenceLength: Int = 128
    public var seed: UInt64 = 0
    /// Fraction of records (by subject) held out for the utility audit; 0 audits utility on the corpus.
    public var heldOutFraction: Double = 0.1
    /// Tokens of context before a span in the extraction audit (P).
    public var auditPrefixTokens: Int = 32
    /// Extra sampled attempts per span in the extraction audit (0: greedy only).
    public var auditSamples: Int = 0
    public var auditTemperature: Double = 1.0
    /// Stop repairing once span extraction falls to this rate or below and utility is within
    /// `maxPerplexityIncrease` (nil: run every epoch).
    public var targetExtractionRate: Double?
    /// Largest relative rise of held-out perplexity over the model before sanitization that the kept epoch may
    /// have (0.1 = 10 %) when an epoch within it exists.
    public var maxPerplexityIncrease: Double = 0.1
    /// Built-in detectors to run (nil: all; empty: none).
    public var detectors: [String]?
    /// k for indirect identifiers when records have subjects (nil or 0: off).
    public var kAnonymity: Int? = 2
    public var caseSensitiveTerms: Bool = false
    /// Include sensitive example strings in the report (off: the report never contains them).
    public var includeExamples: Bool = false
    /// What the repair trains on: the corpus without loss on sensitive targets (the paper) or the corpus with
    /// surrogates in place of the sensitive spans.
    public var repairMode: RepairMode = .masked
    /// Which notes the repair trains on: the corpus (the paper) or the calibration notes, notes of the same kind
    /// the model never saw (`RepairNotes`); with the latter a run needs calibration notes. nil: the calibration
    /// notes when the run has them and a base model (and no membership floor), else the corpus
    /// (see `effectiveRepairNotes`).
    public var repairNotes: RepairNotes?
    /// λ of targeted forgetting during repair (0: off): an NPO term at every sensitive target of the corpus that
    /// pushes down the probability of the true token relative to the model before sanitization. Causal models;
    /// nil: the default, 1 for causal models and off for masked ones (see `effectiveForgetWeight`).
    public var forgetWeight: Double?
    /// β of the targeted-forgetting term (larger: it stops pushing sooner once the token has become unlikely).
    public var forgetBeta: Double = 2
    /// Labels whose spans targeted forgetting leaves alone (e.g. `INDIRECT`, the k-anonymity words, which are
    /// mostly general vocabulary that a model knows without the notes).
    public var forgetSkipLabels: [String] = []
    /// Targeted forgetting only where the target is a token the corpus uses mostly (≥ 50 %) inside sensitive
    /// spans: what is particular to identifiers goes, the words and formats they share with ordinary text stay.
    public var forgetIdentifierTokensOnly: Bool = false
    /// Where erase draws its neurons from: the last L blocks (the paper) or every block by score.
    public var eraseScope: EraseScope = .last
    /// With a base model: erase restores every parameter of the erased blocks to it (attention, norms and the
    /// MLP), not only the chosen MLP neurons; the fine-tune's attention can hold identifiers too. nil: on when
    /// the run has a base model (see `effectiveEraseWholeBlocks`).
    public var eraseWholeBlocks: Bool?
    /// The model targeted forgetting compares with: the model before sanitization (NPO as published, pushing the
    /// true token down from what the fine-tune made of it) or the base model (pushing it to where a model that
    /// never saw the corpus puts it; after an erase back to the base the first reference no longer pushes).
    /// nil: the base model when the run has one, else the model.
    public var forgetReference: ForgetReference?
    /// Repair with a membership floor (`MembershipFloor`): a window is trained on only while the model's loss on
    /// it is above its loss on notes it never saw (the calibration notes, else the held-out notes), so the
    /// repair does not make the training notes more familiar than unseen ones.
    public var membershipFloor: Bool = false
    /// With a base model: erase also restores everything outside the transformer blocks (token and position
    /// embeddings, the final norm, the head) to it. The fine-tune's embeddings carry what it learned of the notes
    /// as a whole (their membership), and after whole blocks are restored they no longer match the blocks.
    /// nil: on when the run has a base model (see `effectiveEraseEmbeddings`).
    public var eraseEmbeddings: Bool?
    // Attacks of the audits before and after (the per-epoch audits stay cheap).
    /// Run membership inference, extraction by prefix length, exposure and the relearning attack, and audit the
    /// kept weights afresh.
    public var auditAttacks: Bool = true
    /// Fine-tuning steps of the relearning attack on the held-out notes (0: no relearning attack).
    public var relearnSteps: Int = 20
    public var relearnLearningRate: Double = 1e-4
    /// Random candidates each digit-shaped span is ranked against for exposure (0: no exposure).
    public var exposureCandidates: Int = 100
    /// Sampled extraction attempts per span in the before and after audits (at least `auditSamples`).
    public var finalAuditSamples: Int = 8

    public init() {}

    /// The targeted-forgetting weight a model of `objective` is repaired with: the one asked for, else for causal
    /// models 1 against the model before sanitization and 0.3 against a base model (the defaults that measured
    /// best, README, Results: against the base the push does not fade once the fine-tune's excess is gone, so a
    /// lighter one keeps utility), and 0 for masked ones. A repair on the calibration notes forgets nothing by
    /// default: after an erase back to the base the corpus's identifiers are where the base puts them, and
    /// pushing them lower makes them stand out the other way (README, Results).
    public func effectiveForgetWeight(_ objective: LanguageModelObjective, hasBase: Bool = false,
                                      repairNotes: RepairNotes = .corpus) -> Double {
        if let forgetWeight { return forgetWeight }
        guard objective == .causal && repairNotes == .corpus else { return 0 }
        return effectiveForgetReference(hasBase: hasBase) == .base ? Self.defaultBaseForgetWeight : Self.defaultCausalForgetWeight
    }

    /// How many of the last blocks erase draws from: as asked, else 1 (the paper), or every block of the model when
    /// there is a base model to restore them to.
    public func effectiveEraseLayers(hasBase: Bool, blockCount: Int) -> Int {
        eraseLayers ?? (hasBase ? max(1, blockCount) : 1)
    }

    /// The fraction of each erased block's MLP neurons: as asked, else 0.5 (the paper), or 1 with a base model.
    public func effectiveEraseFraction(hasBase: Bool) -> Double { eraseFraction ?? (hasBase ? 1 : 0.5) }

    /// Which notes the repair trains on: as asked, else the calibration notes when the run has them and a base
    /// model (the erase then starts the model over from the base, and notes it never saw teach it the notes'
    /// language without making the corpus familiar again), but not with a membership floor, which is a repair on
    /// the corpus; else the corpus.
    public func effectiveRepairNotes(hasBase: Bool, hasCalibration: Bool) -> RepairNotes {
        repairNotes ?? (hasBase && hasCalibration && !membershipFloor ? .calibration : .corpus)
    }

    /// How many epochs the repair runs: as asked, else 2 (the paper), or 3 with a base model or a repair on the
    /// calibration notes. After an erase back to the base the repair teaches the notes' language from the base
    /// again, and with a third epoch both scenarios met more of the bars (README, Results: SmolLM2 on calibration
    /// notes greedy extraction 1.1 → 0.9 % and held-out perplexity 4.93 → 3.96; on the corpus, with k = 2,
    /// perplexity +7.6 % → +0.7 % while membership rose from 0.489 to 0.530, under the bar; GPT-2 greedy
    /// extraction 6.5 → 5.1 % while membership rose from 0.489 to 0.517).
    public func effectiveEpochs(hasBase: Bool, repairNotes: RepairNotes) -> Int {
        epochs ?? (hasBase || repairNotes == .calibration ? Self.defaultBaseRepairEpochs : Self.defaultRepairEpochs)
    }

    /// These options with every default that depends on the run filled in: what a run with a model of
    /// `objective` and `blockCount` blocks, with or without a base model and calibration notes, uses (and what
    /// its report shows).
    public func resolved(objective: LanguageModelObjective, hasBase: Bool, hasCalibration: Bool,
                         blockCount: Int) -> SanitizationOptions {
        var o = self
        o.repairNotes = effectiveRepairNotes(hasBase: hasBase, hasCalibration: hasCalibration)
        o.epochs = effectiveEpochs(hasBase: hasBase, repairNotes: o.repairNotes ?? .corpus)
        o.eraseLayers = effectiveEraseLayers(hasBase: hasBase, blockCount: blockCount)
        o.eraseFraction = effectiveEraseFraction(hasBase: hasBase)
        o.forgetReference = effectiveForgetReference(hasBase: hasBase)
        o.forgetWeight = effectiveForgetWeight(objective, hasBase: hasBase, repairNotes: o.repairNotes ?? .corpus)
        o.eraseWholeBlocks = effectiveEraseWholeBlocks(hasBase: hasBase)
        o.eraseEmbeddings = effectiveEraseEmbeddings(hasBase: hasBase)
        return o
    }

    /// What targeted forgetting compares with: the one asked for, else the base model when there is one.
    public func effectiveForgetReference(hasBase: Bool) -> ForgetReference {
        forgetReference ?? (hasBase ? .base : .model)
    }

    /// Whether erase restores whole blocks: as asked, else whenever there is a base model to restore them to.
    public func effectiveEraseWholeBlocks(hasBase: Bool) -> Bool { eraseWholeBlocks ?? hasBase }
    public func effectiveEraseEmbeddings(hasBase: Bool) -> Bool { eraseEmbeddings ?? hasBase }

    public static let defaultRepairEpochs = 2
    public static let defaultBaseRepairEpochs = 3
    public static let defaultCausalForgetWeight = 1.0
    public static let defaultBaseForgetWeight = 0.3

    enum CodingKeys: String, CodingKey, CaseIterable {
        case method, selection, eraseLayers, eraseFraction, epochs, learningRate, warmupSteps, learningRateSchedule
        case weightDecay
        case batchSize, sequenceLength, seed, heldOutFraction, auditPrefixTokens, auditSamples, auditTemperature
        case targetExtractionRate, maxPerplexityIncrease, detectors, kAnonymity, caseSensitiveTerms, includeExamples
        case repairMode, repairNotes, forgetWeight, forgetBeta, forgetSkipLabels, forgetIdentifierTokensOnly, eraseScope
        case eraseWholeBlocks, forgetReference, membershipFloor, eraseEmbeddings
        case auditAttacks, relearnSteps, relearnLearningRate, exposureCandidates, finalAuditSamples
    }

    public init(from decoder: Decoder) throws {
        let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
            .filter { CodingKeys(rawValue: $0) == nil }
        if let first = unknown.first {
            throw SaniError.invalidArgument("unknown option \"\(first)\" (known: \(CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SanitizationOptions()
        method = try c.decodeIfPresent(SanitizationMethod.self, forKey: .method) ?? d.method
        selection = try c.decodeIfPresent(NeuronSelection.self, forKey: .selection) ?? d.selection
        eraseLayers = try c.decodeIfPresent(Int.self, forKey: .eraseLayers)
        eraseFraction = try c.decodeIfPresent(Double.self, forKey: .eraseFraction)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs)
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? d.learningRate
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
        if let shape = try c.decodeIfPresent(String.self, forKey: .learningRateSchedule) {
            guard let parsed = LearningRateSchedule.Shape(rawValue: shape) else {
                throw SaniError.invalidArgument("learningRateSchedule must be constant or cosine, not \"\(shape)\"")
            }
            learningRateSchedule = parsed
        }
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? d.weightDecay
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        sequenceLength = try c.decodeIfPresent(Int.self, forKey: .sequenceLength) ?? d.sequenceLength
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        heldOutFraction = try c.decodeIfPresent(Double.self, forKey: .heldOutFraction) ?? d.heldOutFraction
        auditPrefixTokens = try c.decodeIfPresent(Int.self, forKey: .auditPrefixTokens) ?? d.auditPrefixTokens
        auditSamples = try c.decodeIfPresent(Int.self, forKey: .auditSamples) ?? d.auditSamples
        auditTemperature = try c.decodeIfPresent(Double.self, forKey: .auditTemperature) ?? d.auditTemperature
        targetExtractionRate = try c.decodeIfPresent(Double.self, forKey: .targetExtractionRate)
        maxPerplexityIncrease = try c.decodeIfPresent(Double.self, forKey: .maxPerplexityIncrease) ?? d.maxPerplexityIncrease
        detectors = try c.decodeIfPresent([String].self, forKey: .detectors)
        kAnonymity = try c.decodeIfPresent(Int.self, forKey: .kAnonymity) ?? d.kAnonymity
        caseSensitiveTerms = try c.decodeIfPresent(Bool.self, forKey: .caseSensitiveTerms) ?? d.caseSensitiveTerms
        includeExamples = try c.decodeIfPresent(Bool.self, forKey: .includeExamples) ?? d.includeExamples
        if let mode = try c.decodeIfPresent(String.self, forKey: .repairMode) {
            guard let parsed = RepairMode(rawValue: mode) else {
                throw SaniError.invalidArgument("repairMode must be masked or surrogate, not \"\(mode)\"")
            }
            repairMode = parsed
        }
        if let notes = try c.decodeIfPresent(String.self, forKey: .repairNotes) {
            guard let parsed = RepairNotes(rawValue: notes) else {
                throw SaniError.invalidArgument("repairNotes must be corpus or calibration, not \"\(notes)\"")
            }
            repairNotes = parsed
        }
        forgetWeight = try c.decodeIfPresent(Double.self, forKey: .forgetWeight)
        forgetBeta = try c.decodeIfPresent(Double.self, forKey: .forgetBeta) ?? d.forgetBeta
        forgetSkipLabels = try c.decodeIfPresent([String].self, forKey: .forgetSkipLabels) ?? d.forgetSkipLabels
        forgetIdentifierTokensOnly = try c.decodeIfPresent(Bool.self, forKey: .forgetIdentifierTokensOnly)
            ?? d.forgetIdentifierTokensOnly
        if let scope = try c.decodeIfPresent(String.self, forKey: .eraseScope) {
            guard let parsed = EraseScope(rawValue: scope) else {
                throw SaniError.invalidArgument("eraseScope must be last or scored, not \"\(scope)\"")
            }
            eraseScope = parsed
        }
        eraseWholeBlocks = try c.decodeIfPresent(Bool.self, forKey: .eraseWholeBlocks)
        if let reference = try c.decodeIfPresent(String.self, forKey: .forgetReference) {
            guard let parsed = ForgetReference(rawValue: reference) else {
                throw SaniError.invalidArgument("forgetReference must be model or base, not \"\(reference)\"")
            }
            forgetReference = parsed
        }
        membershipFloor = try c.decodeIfPresent(Bool.self, forKey: .membershipFloor) ?? d.membershipFloor
        eraseEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .eraseEmbeddings)
        auditAttacks = try c.decodeIfPresent(Bool.self, forKey: .auditAttacks) ?? d.auditAttacks
        relearnSteps = try c.decodeIfPresent(Int.self, forKey: .relearnSteps) ?? d.relearnSteps
        relearnLearningRate = try c.decodeIfPresent(Double.self, forKey: .relearnLearningRate) ?? d.relearnLearningRate
        exposureCandidates = try c.decodeIfPresent(Int.self, forKey: .exposureCandidates) ?? d.exposureCandidates
        finalAuditSamples = try c.decodeIfPresent(Int.self, forKey: .finalAuditSamples) ?? d.finalAuditSamples
        try validate()
    }

    /// Checks every range; the message names the option and what it accepts.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw SaniError.invalidArgument(message) } }
        if let eraseLayers { try check(eraseLayers >= 1 && eraseLayers <= 1000, "eraseLayers must be between 1 and 1000") }
        if let eraseFraction { try check(eraseFraction > 0 && eraseFraction <= 1, "eraseFraction must be in (0, 1]") }
        if let epochs { try check(epochs >= 0 && epochs <= 1000, "epochs must be between 0 and 1000") }
        try check(learningRate > 0 && learningRate < 1, "learningRate must be in (0, 1)")
        try check(warmupSteps >= 0, "warmupSteps must be >= 0")
        try check(weightDecay >= 0 && weightDecay < 1, "weightDecay must be in [0, 1)")
        try check(batchSize >= 1 && batchSize <= 4096, "batchSize must be between 1 and 4096")
        try check(sequenceLength >= 2 && sequenceLength <= 65536, "sequenceLength must be between 2 and 65536")
        try check(heldOutFraction >= 0 && heldOutFraction < 1, "heldOutFraction must be in [0, 1)")
        try check(auditPrefixTokens >= 1 && auditPrefixTokens <= 4096, "auditPrefixTokens must be between 1 and 4096")
        try check(auditSamples >= 0 && auditSamples <= 100, "auditSamples must be between 0 and 100")
        try check(auditTemperature > 0 && auditTemperature <= 10, "auditTemperature must be in (0, 10]")
        if let t = targetExtractionRate { try check(t >= 0 && t <= 1, "targetExtractionRate must be in [0, 1]") }
        try check(maxPerplexityIncrease >= 0 && maxPerplexityIncrease <= 100, "maxPerplexityIncrease must be in [0, 100]")
        if let k = kAnonymity { try check(k >= 0 && k <= 1000, "kAnonymity must be between 0 and 1000") }
        try check(relearnSteps >= 0 && relearnSteps <= 10000, "relearnSteps must be between 0 and 10000")
        try check(relearnLearningRate > 0 && relearnLearningRate < 1, "relearnLearningRate must be in (0, 1)")
        try check(exposureCandidates >= 0 && exposureCandidates <= 100_000, "exposureCandidates must be between 0 and 100000")
        try check(finalAuditSamples >= 0 && finalAuditSamples <= 100, "finalAuditSamples must be between 0 and 100")
        if let detectors { _ = try SpanDetector.Kind.parseList(detectors.joined(separator: ",")) }
        if let w = forgetWeight { try check(w >= 0 && w <= 100, "forgetWeight must be in [0, 100]") }
        try check(forgetBeta > 0 && forgetBeta <= 100, "forgetBeta must be in (0, 100]")
        try check(!(membershipFloor && repairNotes == .calibration),
                  "membershipFloor keeps the corpus's notes from becoming familiar while the repair trains on them; with repairNotes calibration the corpus is not trained on")
        try check(eraseScope == .last || selection != .random,
                  "eraseScope scored ranks neurons by score: use selection activation or gradient")
    }
}

/// What targeted forgetting measures the push against (`SanitizationOptions.forgetReference`).
public enum ForgetReference: String, Sendable, Codable, CaseIterable {
    /// The model before sanitization.
    case model
    /// The base model the fine-tune started from (a job or run with a base model only).
    case base
}

/// A coding key for any field name (used to find unknown fields).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = "\(intValue)"; self.intValue = intValue }
}
