import Foundation
import SaniEngine

/// A quick check of the inputs before work is queued: everything that can be refused early is refused here.
public struct ValidationSummary: Sendable, Equatable, Codable {
    public var modelFamily: String
    public var vocabularySize: Int
    public var corpus: CorpusStatistics
    public var terms: Int
}

extension Sanitizer {
    /// Reads the model configuration and tokenizer, parses the corpus and the terms; throws a user-facing error.
    public static func validate(inputs: SanitizationInputs, options: SanitizationOptions) throws -> ValidationSummary {
        try options.validate()
        let config = try wrapEngine { try JSONConfig(url: inputs.model.appendingPathComponent("config.json")) }
        guard config.modelType == nil || LanguageModelLoader.supportedTypes.contains(config.modelType ?? "") else {
            throw SaniError.model("model_type \(config.modelType ?? "?") is not supported (supported: \(LanguageModelLoader.supportedTypes.joined(separator: ", ")))")
        }
        let tokenizer = try wrapEngine { try LanguageModelLoader.tokenizer(folder: inputs.model) }
        if let wordPiece = tokenizer as? WordPieceTokenizer,
           wordPiece.clsID == nil || wordPiece.sepID == nil || wordPiece.maskID == nil {
            throw SaniError.model("the tokenizer has no [CLS], [SEP] or [MASK] token; a masked language model needs all three")
        }
        let corpus = try Corpus.load(url: inputs.corpus)
        if let heldOut = inputs.heldOut { _ = try Corpus.loadHeldOut(url: heldOut) }
        if let calibration = inputs.calibration { _ = try Corpus.loadHeldOut(url: calibration, role: "calibration notes") }
        if options.membershipFloor && options.method.repairs && inputs.heldOut == nil && inputs.calibration == nil {
            throw SaniError.invalidArgument(MembershipFloor.needsUnseenNotes)
        }
        if options.repairNotes == .calibration && options.method.repairs && inputs.calibration == nil {
            throw SaniError.invalidArgument(PreparedWork.needsRepairNotes)
        }
        try checkBaseIsUsed(inputs: inputs, options: options)
        if let base = inputs.base {
            let baseConfig: JSONConfig
            do {
                baseConfig = try JSONConfig(url: base.appendingPathComponent("config.json"))
                _ = try WeightStore(folder: base)
            } catch {
                throw SaniError.model("the base model: \(error)")
            }
            guard (baseConfig.modelType ?? "gpt2") == (config.modelType ?? "gpt2") else {
                throw SaniError.model("the base model is a \(baseConfig.modelType ?? "gpt2") model, the model to sanitize a \(config.modelType ?? "gpt2") one")
            }
        }
        let terms = try inputs.terms.map { try TermList.load(url: $0, caseSensitive: options.caseSensitiveTerms) }
        return ValidationSummary(modelFamily: config.modelType ?? "gpt2", vocabularySize: tokenizer.vocabularySize,
                                 corpus: corpus.statistics, terms: terms?.count ?? 0)
    }

    /// Runs the method. Blocking and CPU heavy; `progress` is called on the calling thread after every step;
    /// `isCancelled` is checked between steps (throws `SaniError.cancelled`).
    public func run(progress: @escaping @Sendable (SanitizationProgress) -> Void = { _ in },
                    isCancelled: @escaping CancellationCheck = { false }) throws -> SanitizationReport {
        let started = Date()
        try self.options.validate()
        let hasBase = inputs.base != nil
        // The defaults the inputs decide (a base model, calibration notes, the model's blocks) are filled in once;
        // the run and its report use these.
        var options = self.options
        options.repairNotes = options.effectiveRepairNotes(hasBase: hasBase, hasCalibration: inputs.calibration != nil)
        let repairEpochs = options.effectiveEpochs(hasBase: hasBase, repairNotes: options.repairNotes ?? .corpus)
        let tracker = ProgressTracker(options: options, repairEpochs: repairEpochs, started: started, sink: progress)
        tracker.emit(.preparing, step: 0, steps: 1, message: "loading model and corpus")

        try Self.checkBaseIsUsed(inputs: inputs, options: options)
        let work = try PreparedWork(inputs: inputs, options: options)
        options = options.resolved(objective: work.model.objective, hasBase: hasBase,
                                   hasCalibration: inputs.calibration != nil, blockCount: work.model.blockCount)
        let preparationSeconds = Date().timeIntervalSince(started)
        // A base model that cannot serve is refused before any work (it is used by erase, after the first audit).
        var base = try inputs.base.map { try Self.loadBase($0, like: work.model) }
        let model = work.model, tokenizer = work.tokenizer, corpus = work.corpus, blacklist = work.blacklist
        let train = work.train, heldOut = work.heldOut, windows = work.windows
        let auditor = Auditor(model: model, tokenizer: tokenizer, settings: PreparedWork.auditSettings(options))
        // Before and after: the attacks too, when asked for (a masked model has no prefix figures and no exposure).
        let attacks = options.auditAttacks
        // With the attacks and a base model, the before and after audits also count the spans the base model (which
        // never saw the corpus) does not reproduce: it is loaded again for the after audit, not held during repair.
        func finalAuditor(reference: (any LanguageModel)?) -> Auditor {
            attacks ? Auditor(model: model, tokenizer: tokenizer, settings: PreparedWork.finalAuditSettings(options),
                              reference: reference) : auditor
        }
        func runAudit(_ stage: String, epoch: Int?, final: Bool = false,
                      reference: (any LanguageModel)? = nil) throws -> AuditReport {
            try (final ? finalAuditor(reference: reference) : auditor).audit(stage: stage, memorized: train, heldOut: heldOut, heldOutSplit: work.heldOutSplit,
                              progress: { done, total in
                tracker.emit(.audit, epoch: epoch, step: done, steps: total, message: "audit \(stage)")
            }, isCancelled: isCancelled)
        }

        // Resume from a checkpoint of this same work, if one exists.
        let fingerprint = SanitizationCheckpoint.fingerprint(inputs: inputs, options: options)
        let repairWindows = work.repairWindows
        let stepsPerEpoch = (repairWindows.count + options.batchSize - 1) / options.batchSize
        let forgetWeight = options.forgetWeight ?? 0
        let forgetAgainstBase = options.forgetReference == .base
        let eraseLayers = options.effectiveEraseLayers(hasBase: hasBase, blockCount: model.blockCount)
        let eraseFraction = options.effectiveEraseFraction(hasBase: hasBase)
        // Targeted forgetting compares with the model before sanitization: its log-probabilities of the
        // corpus's targets are read before erase (or, after a resume, from the model folder again).
        var forgetReference: [Float]?
        func forgetPlan() -> ForgetPlan? {
            guard let reference = forgetReference else { return nil }
            return ForgetPlan(windows: work.forgetWindows, reference: reference, beta: Float(options.forgetBeta),
                              weight: Float(forgetWeight),
                              sharesRepairWindows: options.repairMode == .masked && options.repairNotes == .corpus)
        }
        func readForgetReference(_ from: any LanguageModel, phase: SanitizationPhase) throws {
            guard forgetWeight > 0 && options.method.repairs else { return }
            tracker.emit(phase, step: 0, steps: 1, message: "reading the \(forgetAgainstBase ? "base " : "")model's probabilities of the sensitive tokens")
            forgetReference = try ForgetPlan.reference(model: from, windows: work.forgetWindows, batchSize: options.batchSize,
                                                       isCancelled: isCancelled)
        }
        let optimizer = AdamW(parameters: model.parameters,
                              settings: .init(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: Float(options.weightDecay)))
        var state: SanitizationCheckpoint
        var best: FloatBuffer?
        if let folder = inputs.checkpoints, let saved = SanitizationCheckpoint.load(folder: folder, fingerprint: fingerprint) {
            state = saved
            best = try saved.restore(folder: folder, parameters: model.parameters, optimizer: optimizer)
            if best == nil && saved.bestEpoch > 0 { best = model.parameters.values.clone() }
            if forgetWeight > 0 && options.method.repairs && saved.completedEpochs < repairEpochs {
                let from = forgetAgainstBase ? inputs.base ?? inputs.model : inputs.model
                try readForgetReference(try Self.wrapEngine { try LanguageModelLoader.load(folder: from) },
                                        phase: .preparing)
            }
            tracker.resume(completedEpochs: saved.completedEpochs)
            tracker.emit(.preparing, step: 1, steps: 1, message: "resumed after epoch \(saved.completedEpochs)")
        } else {
            let before = try runAudit("before", epoch: nil, final: true, reference: base)
            tracker.finishAuditBefore()
            var erase: EraseSummary?
            try readForgetReference(forgetAgainstBase ? base ?? model : model, phase: .erase)
            if options.method.erases {
                tracker.emit(.erase, step: 0, steps: 1, message: "erasing \(eraseFraction) of the MLP neurons of \(eraseLayers) block(s)"
                             + (inputs.base == nil ? "" : " back to the base model"))
                erase = try NeuronEraser(model: model, selection: options.selection, layers: eraseLayers,
                                         fraction: eraseFraction, seed: options.seed, base: base?.parameters,
                                         scope: options.eraseScope)
                    .run(windows: windows, batchSize: options.batchSize, isCancelled: isCancelled)
                if let base, options.eraseWholeBlocks == true, let blocks = erase?.blocks {
                    for block in blocks { model.restoreBlock(block, from: base.parameters) }
                    erase?.wholeBlocks = true
                }
                if let base {
                    // The rows of tokens used mostly inside identifiers hold what the fine-tune wrote about them.
                    let tokens = train.identifierTokens(share: 0.5)
                    model.restoreTokenRows(tokens, from: base.parameters)
                    erase?.restoredTokens = tokens.count
                    if options.eraseEmbeddings == true {
                        erase?.restoredOutsideBlocks = model.restoreOutsideBlocks(from: base.parameters)
                    }
                }
                tracker.emit(.erase, step: 1, steps: 1, message: "erased \(erase?.neuronsPerBlock ?? 0) neurons per block")
            }
            tracker.finishErase()
            state = SanitizationCheckpoint(fingerprint: fingerprint, completedEpochs: 0, optimizerStep: 0,
                                           before: before, erase: erase, epochs: [], bestEpoch: 0)
            if let folder = inputs.checkpoints {
                try state.save(folder: folder, parameters: model.parameters, optimizer: nil, best: nil)
            }
        }

        let floor = work.calibrationWindows.map { MembershipFloor(calibration: $0, seed: options.seed) }
        base = nil   // erase is done (or was, before a resume): the base model's weights are not held during repair
        // Repair.
        let epochs = options.method.repairs ? repairEpochs : 0
        let schedule = LearningRateSchedule(peak: Float(options.learningRate), warmupSteps: options.warmupSteps,
                                            totalSteps: epochs * stepsPerEpoch, shape: options.learningRateSchedule)
        var stoppedEarly = state.epochs.contains { meetsTarget($0, before: state.before) } && state.completedEpochs < epochs
        var epoch = state.completedEpochs + 1
        while epoch <= epochs && !stoppedEarly {
            let order = repairWindows.order(seed: options.seed &+ UInt64(epoch))
            let epochStarted = Date()
            let floorBefore = floor.map { ($0.skippedWindows, $0.skippedWindows + $0.trainedWindows) }
            let meanLoss = try TrainingLoop.epoch(
                model: model, optimizer: optimizer, windows: repairWindows, order: order, batchSize: options.batchSize,
                schedule: schedule, maskSeed: options.seed &+ UInt64(epoch) &* 0x51_7CC1, forget: forgetPlan(), floor: floor,
                isCancelled: isCancelled) { step, steps, loss in
                tracker.emit(.repair, epoch: epoch, step: step, steps: steps, loss: loss,
                             message: "repair epoch \(epoch)/\(epochs)")
            }
            let trainingSeconds = Date().timeIntervalSince(epochStarted)
            var report = try runAudit("epoch-\(epoch)", epoch: epoch)
            report.trainingLoss = meanLoss
            report.trainingSeconds = trainingSeconds
            if let floor, let floorBefore {
                report.membershipFloor = MembershipFloorFigure(
                    level: floor.level ?? 0, skippedWindows: floor.skippedWindows - floorBefore.0,
                    windows: floor.skippedWindows + floor.trainedWindows - floorBefore.1)
            }
            state.epochs.append(report)
            let previousBest = state.bestEpoch
            if isBetter(report, than: previousBest == 0 ? nil : state.epochs[previousBest - 1], before: state.before) {
                state.bestEpoch = epoch
                best = model.parameters.values.clone()
            }
            state.completedEpochs = epoch
            state.optimizerStep = optimizer.step
            if let folder = inputs.checkpoints {
                try state.save(folder: folder, parameters: model.parameters, optimizer: optimizer,
                               best: state.bestEpoch == epoch ? nil : best, keepBest: previousBest == state.bestEpoch)
            }
            tracker.finishEpoch(epoch)
            stoppedEarly = meetsTarget(report, before: state.before) && epoch < epochs
            epoch += 1
        }

        // Keep the best weights, save the folder and the report.
        tracker.emit(.saving, step: 0, steps: 1, message: "saving the sanitized model")
        if state.bestEpoch > 0, state.bestEpoch != state.completedEpochs, let best {
            model.parameters.values.copy(from: best)
        }
        var after: AuditReport
        if state.bestEpoch > 0 && !attacks {
            after = state.epochs[state.bestEpoch - 1]
        } else {
            // The kept weights audited afresh, attacks included.
            let reference = try attacks ? inputs.base.map { try Self.loadBase($0, like: model) } : nil
            after = try runAudit("after", epoch: nil, final: true, reference: reference)
            if state.bestEpoch > 0 { after.trainingLoss = state.epochs[state.bestEpoch - 1].trainingLoss }
        }
        after.stage = "after"
        try Self.wrapEngine { try model.save(to: inputs.output, companionsFrom: inputs.model) }
        var report = SanitizationReport(
            method: options.method, options: options, modelFamily: model.family,
            parameterCount: model.parameters.count, corpus: corpus.statistics,
            trainingTokens: train.tokenCount, sensitiveTokens: train.sensitiveCount,
            spansByLabel: blacklist.countsByLabel,
            spansBySource: Dictionary(uniqueKeysWithValues: blacklist.countsBySource.map { ($0.key.rawValue, $0.value) }),
            erase: state.erase, before: state.before, epochs: state.epochs, after: after,
            bestEpoch: state.bestEpoch, stoppedEarly: stoppedEarly, seconds: Date().timeIntervalSince(started))
        report.preparationSeconds = preparationSeconds
        do {
            try ReportJSON.encoder().encode(report)
                .write(to: inputs.output.appendingPathComponent(Self.reportFileName), options: .atomic)
        } catch {
            throw SaniError.io(path: inputs.output.path, reason: "cannot write the report: \(error.localizedDescription)")
        }
        tracker.emit(.saving, step: 1, steps: 1, message: "done")
        return report
    }

    static func checkBaseIsUsed(inputs: SanitizationInputs, options: SanitizationOptions) throws {
        if inputs.base != nil && !options.method.erases {
            throw SaniError.invalidArgument("a base model is what erase restores to; method \(options.method.rawValue) does not erase")
        }
        if inputs.base == nil && options.eraseWholeBlocks == true {
            throw SaniError.invalidArgument("eraseWholeBlocks restores the erased blocks to the base model: give a base model")
        }
        if inputs.base == nil && options.eraseEmbeddings == true {
            throw SaniError.invalidArgument("eraseEmbeddings restores the embeddings and head to the base model: give a base model")
        }
        if inputs.base == nil && options.forgetReference == .base {
            throw SaniError.invalidArgument("forgetReference base compares with the base model: give a base model")
        }
    }

    /// The model the fine-tune started from; it must have the same parameters (names and shapes).
    public static func loadBase(_ url: URL, like model: any LanguageModel,
                                role: String = "the base model") throws -> any LanguageModel {
        let base: any LanguageModel
        do {
            base = try LanguageModelLoader.load(folder: url)
        } catch {
            throw SaniError.model("\(role): \(error)")
        }
        guard base.family == model.family,
              base.parameters.specs.map({ [$0.name] + $0.shape.map(String.init) }) == model.parameters.specs.map({ [$0.name] + $0.shape.map(String.init) }) else {
            throw SaniError.model("\(role) does not have the architecture of the model to sanitize (family, layers, sizes and vocabulary must match)")
        }
        return base
    }

    /// An epoch meets the target when span extraction is at or below the target rate and utility is within the
    /// allowed perplexity rise. Without a target rate there is no early stop.
    func meetsTarget(_ report: AuditReport, before: AuditReport) -> Bool {
        guard let target = options.targetExtractionRate else { return false }
        return report.spanExtraction.rate <= target && withinUtility(report, before: before)
    }

    func withinUtility(_ report: AuditReport, before: AuditReport) -> Bool {
        let limit = before.utility.perplexity * (1 + options.maxPerplexityIncrease)
        return !(report.utility.perplexity > limit)
    }

    /// Whether the weights of epoch report `a` are kept over the current best `b`. Privacy first: when a
    /// target is set, meeting it wins; otherwise a span extraction lower by more than 2 points wins. Then being
    /// within the utility bound wins. Both within: the lower extraction, then the lower token regurgitation
    /// (small or masked models often extract no whole span at all), then the lower perplexity. Both outside:
    /// a token regurgitation lower by more than 2 points, else the lower perplexity (the closer to usable).
    func isBetter(_ a: AuditReport, than b: AuditReport?, before: AuditReport) -> Bool {
        guard let b else { return true }
        let ra = a.spanExtraction.rate, rb = b.spanExtraction.rate
        if let target = options.targetExtractionRate, (ra <= target) != (rb <= target) { return ra <= target }
        if options.targetExtractionRate == nil, abs(ra - rb) > 0.02 { return ra < rb }
        let ua = withinUtility(a, before: before), ub = withinUtility(b, before: before)
        if ua != ub { return ua }
        let ta = a.tokenRegurgitation.rate, tb = b.tokenRegurgitation.rate
        if !ua {
            if abs(ta - tb) > 0.02 { return ta < tb }
            return a.utility.perplexity < b.utility.perplexity
        }
        if ra != rb { return ra < rb }
        if ta != tb { return ta < tb }
        return a.utility.perplexity < b.utility.perplexity
    }

    /// Turns engine errors into the module's error with the engine's message.
    static func wrapEngine<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as EngineError {
            throw SaniError.model(error.description)
        }
    }
}
