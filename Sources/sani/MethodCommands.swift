import ArgumentParser
import Foundation
import Sani
import SaniEngine

/// Flags that map onto `SanitizationOptions` (defaults follow the paper, targeted forgetting aside).
struct MethodFlags: ParsableArguments {
    @Option(help: "sani (erase + repair), repair-only or erase-only.") var method: String = "sani"
    @Option(help: "Neuron selection: random (the paper), activation or gradient.") var selection: String = "random"
    @Option(help: "Last blocks erased (L; default 1, or every block with --base-model).") var eraseLayers: Int?
    @Option(help: "Fraction of MLP neurons erased per block (r; default 0.5, or 1 with --base-model).")
    var eraseFraction: Double?
    @Option(help: "Repair epochs (default 2, or 3 with --base-model or --repair-notes calibration).") var epochs: Int?
    @Option(help: "Repair learning rate.") var lr = 1e-4
    @Option(help: "Repair learning-rate schedule: constant (the paper) or cosine (decays to a tenth of --lr).")
    var schedule = "constant"
    @Option(help: "Repair steps of linear learning-rate warm-up.") var warmup = 0
    @Option(help: "Repair AdamW weight decay.") var weightDecay = 0.01
    @Option(help: "Sequences per batch.") var batch = 8
    @Option(help: "Tokens per sequence.") var length = 128
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 0
    @Option(help: "Fraction of records held out for the utility audit (without --held-out-corpus).")
    var heldOut = 0.1
    @Option(help: "Tokens of context before a span in the extraction audit (P).") var prefix = 32
    @Option(help: "Sampled extraction attempts per span (0: greedy only).") var samples = 0
    @Option(help: "Sampling temperature of the extraction audit.") var temperature = 1.0
    @Option(help: "Stop repairing once span extraction is at or below this rate.") var target: Double?
    @Option(help: "Detectors, comma separated (all, none, date, phone, email, ...).") var detectors = "all"
    @Option(help: "k of the k-anonymity detector for indirect identifiers (0: off).") var k = 2
    @Flag(help: "Put regurgitated sensitive strings in the report (off: never).") var examples = false
    @Option(help: "Repair data: masked (no loss on sensitive targets, the paper) or surrogate (spans replaced by stand-ins of their label and shape).")
    var repair = "masked"
    @Option(help: "Notes the repair trains on: corpus (the notes the model was fine-tuned on, the paper) or calibration (--calibration-corpus: notes of the same kind the model never saw; the corpus is not trained on again). Default: calibration with --base-model and --calibration-corpus (and no --membership-floor), else corpus.")
    var repairNotes: String?
    @Option(help: "Weight of targeted forgetting during repair (NPO on the sensitive targets; 0: off; default 1 for causal models, 0.3 against --base-model, 0 when the repair trains on the calibration notes; off for masked ones, where it masks every sensitive token of a window at once).")
    var forgetWeight: Double?
    @Option(help: "Beta of targeted forgetting.") var forgetBeta = 2.0
    @Option(help: "Labels targeted forgetting leaves alone, comma separated (e.g. INDIRECT).") var forgetSkip = ""
    @Option(help: "Targeted forgetting at all sensitive targets, or only at identifier tokens (used mostly inside spans): all or identifier.")
    var forgetTokens = "all"
    @Option(help: "Erase scope: last (the last --erase-layers blocks) or scored (every block, neurons ranked by --selection).")
    var eraseScope = "last"
    @Flag(inversion: .prefixedNo, help: "With --base-model: restore every parameter of the erased blocks (attention, norms, MLP) to the base model, not only the chosen MLP neurons (default: on with --base-model).")
    var eraseWholeBlocks: Bool?
    @Option(help: "What targeted forgetting compares with: model (the model before sanitization), base (--base-model: where a model that never saw the corpus puts each token) or auto (base with --base-model, else model).")
    var forgetAgainst = "auto"
    @Flag(help: "Repair with a membership floor: a window is trained on only while the model finds it harder than notes it never saw (--calibration-corpus, else --held-out-corpus).")
    var membershipFloor = false
    @Flag(inversion: .prefixedNo, help: "With --base-model: erase also restores everything outside the blocks (embeddings, final norm, head) to the base model (default: on with --base-model).")
    var eraseEmbeddings: Bool?
    // Attacks of the before / after audits.
    @Flag(inversion: .prefixedNo, help: "Run the attacks (membership inference, extraction by prefix, exposure, relearning) in the before and after audits.")
    var attacks = true
    @Option(help: "Fine-tuning steps of the relearning attack on the held-out notes (0: off).") var relearnSteps = 20
    @Option(help: "Learning rate of the relearning attack.") var relearnLr = 1e-4
    @Option(help: "Random candidates per digit-shaped span for exposure (0: off).") var exposureCandidates = 100
    @Option(help: "Sampled extraction attempts per span in the before and after audits.") var finalSamples = 8

    func options() throws -> SanitizationOptions {
        var o = SanitizationOptions()
        guard let m = SanitizationMethod(rawValue: method) else {
            throw ValidationError("unknown method \(method): sani, repair-only or erase-only")
        }
        guard let s = NeuronSelection(rawValue: selection) else {
            throw ValidationError("unknown selection \(selection): random, activation or gradient")
        }
        o.method = m
        o.selection = s
        o.eraseLayers = eraseLayers
        o.eraseFraction = eraseFraction
        o.epochs = epochs
        o.learningRate = lr
        guard let shape = LearningRateSchedule.Shape(rawValue: schedule) else {
            throw ValidationError("unknown schedule \(schedule): constant or cosine")
        }
        o.learningRateSchedule = shape
        o.warmupSteps = warmup
        o.weightDecay = weightDecay
        o.batchSize = batch
        o.sequenceLength = length
        o.seed = seed
        o.heldOutFraction = heldOut
        o.auditPrefixTokens = prefix
        o.auditSamples = samples
        o.auditTemperature = temperature
        o.targetExtractionRate = target
        o.detectors = detectors.split(separator: ",").map(String.init)
        o.kAnonymity = k
        o.includeExamples = examples
        guard let mode = RepairMode(rawValue: repair) else {
            throw ValidationError("unknown repair \(repair): masked or surrogate")
        }
        o.repairMode = mode
        if let repairNotes {
            guard let notes = RepairNotes(rawValue: repairNotes) else {
                throw ValidationError("unknown repair notes \(repairNotes): corpus or calibration")
            }
            o.repairNotes = notes
        }
        o.forgetWeight = forgetWeight
        o.forgetBeta = forgetBeta
        guard ["all", "identifier"].contains(forgetTokens) else {
            throw ValidationError("unknown forget tokens \(forgetTokens): all or identifier")
        }
        o.forgetIdentifierTokensOnly = forgetTokens == "identifier"
        o.forgetSkipLabels = forgetSkip.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard let scope = EraseScope(rawValue: eraseScope) else {
            throw ValidationError("unknown erase scope \(eraseScope): last or scored")
        }
        o.eraseScope = scope
        o.eraseWholeBlocks = eraseWholeBlocks
        if forgetAgainst != "auto" {
            guard let reference = ForgetReference(rawValue: forgetAgainst) else {
                throw ValidationError("unknown forget reference \(forgetAgainst): auto, model or base")
            }
            o.forgetReference = reference
        }
        o.membershipFloor = membershipFloor
        o.eraseEmbeddings = eraseEmbeddings
        o.auditAttacks = attacks
        o.relearnSteps = relearnSteps
        o.relearnLearningRate = relearnLr
        o.exposureCandidates = exposureCandidates
        o.finalAuditSamples = finalSamples
        do { try o.validate() } catch { throw ValidationError("\(error)") }
        return o
    }
}

/// `sani sanitize`: the SANI method end to end, writing the sanitized folder and its report.
struct SanitizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sanitize",
        abstract: "Erase and repair a model so it stops regurgitating the sensitive spans of its corpus.")
    @Option(help: "Hugging Face model folder.") var model: String
    @Option(help: "Corpus: JSONL (text, subject, spans) or plain text.") var corpus: String
    @Option(help: "Confidential terms (one per line, or JSON).") var terms: String?
    @Option(help: "Notes the model was never fine-tuned on, for the utility audit (instead of --held-out).")
    var heldOutCorpus: String?
    @Option(help: "Folder of the model the fine-tune started from: erase restores to it instead of re-initialising.")
    var baseModel: String?
    @Option(help: "Notes the model never saw, apart from the held-out ones, that the repair trains on (by default with --base-model, else with --repair-notes calibration; the model learns them: give notes it may know), or that --membership-floor reads its level from.")
    var calibrationCorpus: String?
    @Option(help: "Output folder for the sanitized model and sanitization-report.json.") var out: String
    @Option(help: "Checkpoint folder (resume an interrupted run).") var checkpoints: String?
    @OptionGroup var flags: MethodFlags
    @Flag(help: "Print the report as JSON instead of tables.") var json = false

    func run() throws {
        let options = try flags.options()
        let inputs = SanitizationInputs(model: URL(fileURLWithPath: model), corpus: URL(fileURLWithPath: corpus),
                                        terms: terms.map { URL(fileURLWithPath: $0) },
                                        heldOut: heldOutCorpus.map { URL(fileURLWithPath: $0) },
                                        base: baseModel.map { URL(fileURLWithPath: $0) },
                                        output: URL(fileURLWithPath: out), checkpoints: checkpoints.map { URL(fileURLWithPath: $0) },
                                        calibration: calibrationCorpus.map { URL(fileURLWithPath: $0) })
        let bar = TerminalProgress()
        let report = try reportingErrors {
            try Sanitizer(inputs: inputs, options: options).run(progress: { bar.update($0) })
        }
        bar.finish()
        if json {
            print(String(decoding: try ReportJSON.encoder().encode(report), as: UTF8.self))
            return
        }
        print("method \(report.method.rawValue), \(report.modelFamily), \(report.parameterCount) parameters, "
            + "\(report.trainingTokens) training tokens of which \(report.sensitiveTokens) sensitive")
        if let e = report.erase {
            print("erase: \(e.neuronsPerBlock) neurons (\(e.selection.rawValue)) in block(s) \(e.blocks.map(String.init).joined(separator: ", ")), seed \(e.seed)"
                  + (e.source == .baseModel ? ", restored to the base model with the rows of \(e.restoredTokens ?? 0) identifier tokens" : "")
                  + (e.restoredOutsideBlocks.map { ", and \($0) values outside the blocks (embeddings, final norm, head)" } ?? ""))
        }
        if report.options.repairNotes == .calibration && report.method.repairs {
            print("repair: on the calibration notes, never on the corpus")
        }
        print("")
        print(AuditTable.render([report.before] + report.epochs + [report.after]))
        let attacks = AttackTable.render([report.before, report.after])
        if !attacks.isEmpty { print(""); print(attacks) }
        print("")
        print("kept epoch \(report.bestEpoch)\(report.stoppedEarly ? " (stopped early at the target)" : ""); "
            + "\(TerminalProgress.duration(report.seconds)) in all")
        print("saved: \(out) (report: \(Sanitizer.reportFileName))")
    }
}

/// `sani audit`: the audit alone.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit",
                                                    abstract: "Measure regurgitation and utility of a model on its corpus.")
    @Option(help: "Hugging Face model folder.") var model: String
    @Option(help: "Corpus: JSONL (text, subject, spans) or plain text.") var corpus: String
    @Option(help: "Confidential terms (one per line, or JSON).") var terms: String?
    @Option(help: "Notes the model was never fine-tuned on, for the utility audit (instead of --held-out).")
    var heldOutCorpus: String?
    @Option(help: "A model that never saw the corpus (e.g. the one the fine-tune started from): spans it reproduces too are counted apart.")
    var reference: String?
    @OptionGroup var flags: MethodFlags
    @Option(help: "Span-extraction prompts decoded together (1: one at a time; the figures do not depend on it).")
    var generationBatch = AuditSettings().generationBatch
    @Flag(inversion: .prefixedNo, help: "With --reference and the attacks: sample and relearn the reference as the model is, to read sampled extraction and the relearning attack beyond it (about doubles their cost).")
    var referenceAttacks = true
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        guard generationBatch >= 1 else { throw ValidationError("--generation-batch must be at least 1") }
        let options = try flags.options()
        let inputs = SanitizationInputs(model: URL(fileURLWithPath: model), corpus: URL(fileURLWithPath: corpus),
                                        terms: terms.map { URL(fileURLWithPath: $0) },
                                        heldOut: heldOutCorpus.map { URL(fileURLWithPath: $0) },
                                        output: URL(fileURLWithPath: "/dev/null"))
        let bar = TerminalProgress()
        let report = try reportingErrors { () -> AuditReport in
            let work = try PreparedWork(inputs: inputs, options: options)
            var settings = PreparedWork.finalAuditSettings(options)
            settings.generationBatch = generationBatch
            settings.attacks?.againstReference = referenceAttacks
            let referenceModel = try reference.map {
                try Sanitizer.loadBase(URL(fileURLWithPath: $0), like: work.model, role: "the reference model")
            }
            let auditor = Auditor(model: work.model, tokenizer: work.tokenizer, settings: settings,
                                  reference: referenceModel)
            return try auditor.audit(stage: "audit", memorized: work.train, heldOut: work.heldOut,
                                     heldOutSplit: work.heldOutSplit) { done, total in
                bar.update(SanitizationProgress(phase: .audit, epoch: nil, epochs: 0, step: done, steps: total,
                                                fraction: Double(done) / Double(max(1, total)), loss: nil,
                                                etaSeconds: nil, message: "audit"))
            }
        }
        bar.finish()
        if json {
            print(String(decoding: try ReportJSON.encoder().encode(report), as: UTF8.self))
        } else {
            print(AuditTable.render([report]))
            let labels = report.spanExtractionByLabel.keys.sorted()
            if !labels.isEmpty {
                print("")
                print(AuditTable.table([["label", "token regurgitation", "span extraction"]] + labels.map {
                    [$0, AuditTable.percent(report.tokenRegurgitationByLabel[$0] ?? RateFigure()),
                     AuditTable.percent(report.spanExtractionByLabel[$0] ?? RateFigure())]
                }).joined(separator: "\n"))
            }
            let attacks = AttackTable.render([report])
            if !attacks.isEmpty { print(""); print(attacks) }
        }
    }
}

/// `sani train`: ordinary fine-tuning, to make a memorizing model end to end.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Fine-tune a model on a corpus.")
    @Option(help: "Hugging Face model folder (with --from-scratch, only config.json and the tokenizer are read).")
    var model: String
    @Option(help: "Corpus: JSONL or plain text.") var corpus: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "Epochs.") var epochs = 3
    @Option(help: "Peak learning rate (warm-up then cosine).") var lr = 1e-3
    @Option(help: "Sequences per batch.") var batch = 8
    @Option(help: "Tokens per sequence.") var length = 128
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Flag(help: "Start from the family's random initialisation.") var fromScratch = false
    @Flag(help: "Never learn the sensitive tokens (annotations, --terms, the detectors, k-anonymity with --k): no loss on them from the first step, the model a sanitization should come close to.")
    var neverLearnSensitive = false
    @Option(help: "Confidential terms never learned (with --never-learn-sensitive).") var terms: String?
    @Option(help: "Detectors of what is never learned, comma separated (with --never-learn-sensitive).") var detectors = "all"
    @Option(help: "k of the k-anonymity detector of what is never learned (0: off; with --never-learn-sensitive).") var k = 2

    func run() throws {
        var o = FineTuner.Options()
        o.epochs = epochs; o.learningRate = lr; o.batchSize = batch; o.sequenceLength = length; o.seed = seed
        o.fromScratch = fromScratch
        if neverLearnSensitive {
            o.neverLearn = try reportingErrors {
                let corpusRecords = try Corpus.load(url: URL(fileURLWithPath: corpus))
                return BlacklistBuilder.Options(
                    useAnnotations: true,
                    terms: try terms.map { try TermList.load(url: URL(fileURLWithPath: $0), caseSensitive: false) },
                    detectors: try SpanDetector.Kind.parseList(detectors),
                    kAnonymity: k > 0 && corpusRecords.hasSubjects ? KAnonymityDetector(k: k) : nil)
            }
        } else if terms != nil {
            throw ValidationError("--terms, --detectors and --k say what --never-learn-sensitive leaves out; add that flag")
        }
        let bar = TerminalProgress()
        let started = Date()
        let losses = try reportingErrors {
            try FineTuner(options: o).run(modelFolder: URL(fileURLWithPath: model), corpus: URL(fileURLWithPath: corpus),
                                          output: URL(fileURLWithPath: out), onStep: { epoch, step, steps, loss in
                bar.training(epoch: epoch, epochs: o.epochs, step: step, steps: steps, loss: loss, started: started)
            })
        }
        bar.finish()
        for (i, l) in losses.enumerated() { print(String(format: "epoch %d  mean loss %.4f", i + 1, l)) }
        print("saved: \(out)")
    }
}

/// Runs `body`, turning the method's and the engine's errors into a one-line message and a failure exit code.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as SaniError {
        throw ValidationError(error.description)
    } catch let error as EngineError {
        throw ValidationError(error.description)
    }
}
