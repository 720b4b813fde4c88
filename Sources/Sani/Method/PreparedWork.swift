import Foundation
import SaniEngine

/// Everything a sanitization or an audit works on, loaded and checked: the model and its tokenizer, the corpus
/// with its blacklist, the train / held-out split tokenized with per-token sensitivity, and training windows.
public struct PreparedWork {
    public let model: any LanguageModel
    public let tokenizer: any TextTokenizer
    public let corpus: Corpus
    public let blacklist: Blacklist
    public let train: TokenizedCorpus
    public let heldOut: TokenizedCorpus?
    /// What `heldOut` is, as the report names it: `held-out` (notes given apart, never fine-tuned on) or
    /// `held-out split` (records of the corpus kept out of the repair).
    public let heldOutSplit: String
    public let windows: TrainingWindows
    /// How the model's sequences are framed and what it predicts.
    public let scheme: TrainingScheme
    /// What the repair trains on: `windows` (masked repair), or the corpus rewritten with surrogates, every
    /// position a target (surrogate repair); with `repairNotes` calibration, the calibration notes, masked or
    /// rewritten the same way.
    public let repairWindows: TrainingWindows
    /// The windows of targeted forgetting: `windows`, with the spans of `forgetSkipLabels` not sensitive, and
    /// with `forgetIdentifierTokensOnly` only the tokens the corpus uses mostly inside identifiers.
    public let forgetWindows: TrainingWindows
    /// With `membershipFloor`: windows of notes the model never saw (the calibration notes, else the held-out
    /// notes), framed like the repair's.
    public let calibrationWindows: TrainingWindows?

    public init(inputs: SanitizationInputs, options: SanitizationOptions) throws {
        model = try Sanitizer.wrapEngine { try LanguageModelLoader.load(folder: inputs.model) }
        // The logits of one training batch are the largest buffer; refuse settings that cannot fit.
        let logitBytes = Double(options.batchSize) * Double(min(options.sequenceLength, model.maxPositions))
            * Double(model.vocabularySize) * 4
        guard logitBytes <= Self.maximumBatchBytes else {
            throw SaniError.invalidArgument(String(format: "batchSize × sequenceLength × vocabulary needs %.1f GiB of logits; lower batchSize or sequenceLength (limit %.0f GiB)", logitBytes / 1_073_741_824, Self.maximumBatchBytes / 1_073_741_824))
        }
        tokenizer = try Sanitizer.wrapEngine { try LanguageModelLoader.tokenizer(folder: inputs.model) }
        scheme = try TrainingScheme(model: model, tokenizer: tokenizer)
        corpus = try Corpus.load(url: inputs.corpus)
        let terms = try inputs.terms.map { try TermList.load(url: $0, caseSensitive: options.caseSensitiveTerms) }
        let detectors = try options.detectors.map { try SpanDetector.Kind.parseList($0.joined(separator: ",")) }
            ?? Set(SpanDetector.Kind.allCases)
        let k = options.kAnonymity ?? 0
        let builder = BlacklistBuilder(options: .init(
            useAnnotations: true, terms: terms, detectors: detectors,
            kAnonymity: k > 0 && corpus.hasSubjects ? KAnonymityDetector(k: k) : nil))
        blacklist = try builder.build(for: corpus)
        let annotated = try blacklist.annotating(corpus)
        let split: (train: Corpus, heldOut: Corpus)
        if let heldOutURL = inputs.heldOut {
            // Notes given apart: their own annotations, the terms and the detectors mark what utility skips;
            // an indirect identifier is a word fewer than k patients use in the corpus and the notes together.
            let notes = try Corpus.loadHeldOut(url: heldOutURL)
            let marked = try builder.build(for: notes, population: Corpus(records: corpus.records + notes.records))
            split = (annotated, try marked.annotating(notes))
            heldOutSplit = "held-out"
        } else {
            split = options.heldOutFraction > 0 && annotated.records.count >= 4
                ? annotated.split(heldOutFraction: options.heldOutFraction, seed: options.seed)
                : (train: annotated, heldOut: Corpus(records: []))
            heldOutSplit = "held-out split"
        }
        train = try TokenizedCorpus(corpus: split.train, tokenizer: tokenizer, scheme: scheme,
                                    vocabularySize: model.vocabularySize)
        heldOut = split.heldOut.records.isEmpty ? nil
            : try TokenizedCorpus(corpus: split.heldOut, tokenizer: tokenizer, scheme: scheme,
                                  vocabularySize: model.vocabularySize)
        windows = TrainingWindows(corpus: train, length: min(options.sequenceLength, model.maxPositions),
                                  scheme: scheme)
        guard windows.count > 0 else {
            throw SaniError.invalidArgument("the corpus is too short to train on (\(train.tokenCount) tokens)")
        }
        if options.forgetSkipLabels.isEmpty && !options.forgetIdentifierTokensOnly {
            forgetWindows = windows
        } else {
            let skipped = Set(options.forgetSkipLabels.map { $0.uppercased() })
            let identifierTokens = Set(train.identifierTokens(share: 0.5).map(Int32.init))
            var kept = train
            for r in kept.records.indices {
                let ids = kept.records[r].ids
                kept.records[r].labels = zip(ids, kept.records[r].labels).map { id, label in
                    guard let label, !skipped.contains(label.uppercased()) else { return nil }
                    return !options.forgetIdentifierTokensOnly || identifierTokens.contains(id) ? label : nil
                }
            }
            forgetWindows = TrainingWindows(corpus: kept, length: windows.length, scheme: scheme)
        }
        // Notes the model never saw, apart from the held-out ones: read once, marked like held-out notes.
        let calibrationNotes: Corpus?
        let repairNotes = options.effectiveRepairNotes(hasBase: inputs.base != nil, hasCalibration: inputs.calibration != nil)
        if let url = inputs.calibration,
           options.method.repairs && (options.membershipFloor || repairNotes == .calibration) {
            let notes = try Corpus.loadHeldOut(url: url, role: "calibration notes")
            let marked = try builder.build(for: notes, population: Corpus(records: corpus.records + notes.records))
            calibrationNotes = try marked.annotating(notes)
        } else {
            calibrationNotes = nil
        }
        if options.membershipFloor && options.method.repairs {
            let unseen: TokenizedCorpus
            if let calibrationNotes {
                unseen = try TokenizedCorpus(corpus: calibrationNotes, tokenizer: tokenizer, scheme: scheme,
                                             vocabularySize: model.vocabularySize)
            } else if inputs.heldOut != nil, let heldOut {
                unseen = heldOut
            } else {
                throw SaniError.invalidArgument(MembershipFloor.needsUnseenNotes)
            }
            let framed = TrainingWindows(corpus: unseen, length: windows.length, scheme: scheme)
            guard framed.count > 0 else {
                throw SaniError.invalidArgument("the membership floor's notes are too short to read (\(unseen.tokenCount) tokens)")
            }
            calibrationWindows = framed
        } else {
            calibrationWindows = nil
        }
        // The notes the repair trains on: the corpus (its windows as they are when masked), or the calibration notes.
        let repairSource: Corpus?
        switch repairNotes {
        case .corpus:
            repairSource = options.repairMode == .masked ? nil : split.train
        case .calibration:
            guard let calibrationNotes else {
                if options.method.repairs { throw SaniError.invalidArgument(Self.needsRepairNotes) }
                repairWindows = windows
                return
            }
            repairSource = calibrationNotes
        }
        guard var source = repairSource else {
            repairWindows = windows
            return
        }
        if options.repairMode == .surrogate {
            source = SurrogateWriter(seed: options.seed ^ 0x5052_4F47).rewrite(source)
            // The stand-ins are what the model is to learn: nothing in the rewritten notes is held back.
            for i in source.records.indices { source.records[i].annotations = [] }
        }
        let tokenized = try TokenizedCorpus(corpus: source, tokenizer: tokenizer, scheme: scheme,
                                            vocabularySize: model.vocabularySize)
        repairWindows = TrainingWindows(corpus: tokenized, length: windows.length, scheme: scheme)
        guard repairWindows.count > 0 else {
            throw SaniError.invalidArgument("the repair notes are too short to train on (\(tokenized.tokenCount) tokens)")
        }
    }

    /// The refusal of a repair on calibration notes without them.
    public static let needsRepairNotes = "repairNotes calibration trains the repair on notes the model never saw: give calibration notes"

    /// Largest logits buffer of one batch.
    public static let maximumBatchBytes: Double = 8 * 1_073_741_824

    /// The audit settings the options ask for.
    public static func auditSettings(_ options: SanitizationOptions) -> AuditSettings {
        var audit = AuditSettings()
        audit.prefixTokens = options.auditPrefixTokens
        audit.samples = options.auditSamples
        audit.temperature = Float(options.auditTemperature)
        audit.seed = options.seed
        audit.includeExamples = options.includeExamples
        // The audit reads the model within the context it was trained on here: a fine-tuned model has seen its
        // corpus only in windows of the training length.
        audit.maskedWindow = options.sequenceLength
        audit.contextLength = max(options.sequenceLength, 2)
        return audit
    }

    /// The settings of the audits before and after the method: with `auditAttacks`, the epoch audit plus the
    /// attacks and at least `finalAuditSamples` sampled attempts per span.
    public static func finalAuditSettings(_ options: SanitizationOptions) -> AuditSettings {
        var audit = auditSettings(options)
        guard options.auditAttacks else { return audit }
        audit.samples = max(options.auditSamples, options.finalAuditSamples)
        var attacks = AttackSettings()
        attacks.exposureCandidates = options.exposureCandidates
        attacks.relearnSteps = options.relearnSteps
        attacks.relearnLearningRate = options.relearnLearningRate
        attacks.relearnBatchSize = options.batchSize
        attacks.relearnSequenceLength = options.sequenceLength
        audit.attacks = attacks
        return audit
    }
}
