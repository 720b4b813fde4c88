import ArgumentParser
import Foundation
import Sani
import SaniEngine

/// `sani demo`: the whole story on synthetic data. Writes fake clinical notes, trains a small GPT-2 on them
/// until it regurgitates patients' identifiers, then sanitizes it and prints the audit before and after.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small GPT-2 on synthetic clinical notes until it memorizes them, then sanitize it."
    )

    @Option(help: "Folder with the GPT-2 vocabulary (vocab.json, merges.txt).") var vocab = ".cache/assets/gpt2"
    @Option(help: "Working folder (notes, memorizing model, sanitized model).") var out = "data/demo"
    @Option(help: "Synthetic notes to train on.") var records = 60
    @Option(help: "Training epochs for the memorizing model.") var trainEpochs = 30
    @Option(help: "Transformer blocks of the demo model.") var layers = 4
    @Option(help: "Blocks erased by the sanitization (L).") var eraseLayers = 2
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Flag(help: "Stop after training the memorizing model (to sanitize it through the service instead).")
    var skipSanitize = false

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        let tokenizer: ByteLevelBPETokenizer
        do { tokenizer = try ByteLevelBPETokenizer.load(folder: URL(fileURLWithPath: vocab)) } catch {
            throw ValidationError("cannot load the GPT-2 vocabulary from \(vocab) (\(error)); run scripts/fetch-assets.sh first")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        // 1. Notes.
        let notes = folder.appendingPathComponent("notes.jsonl")
        let heldOutNotes = folder.appendingPathComponent("held-out.jsonl")
        let corpora = DemoCorpusGenerator(seed: seed).generate(records: records, heldOutRecords: max(1, records / 4))
        try JSONLCorpusWriter().data(for: corpora.train).write(to: notes, options: .atomic)
        try JSONLCorpusWriter().data(for: corpora.heldOut).write(to: heldOutNotes, options: .atomic)
        print("1. \(notes.path): \(DemoCorpusSummary(corpora.train))")
        print("   \(heldOutNotes.path): \(corpora.heldOut.records.count) notes about other patients, never trained on (utility)")

        // 2. A GPT-2 trained from scratch until it memorizes them.
        let eot = tokenizer.endOfTextID ?? 50256
        let base = folder.appendingPathComponent("base")
        let config = GPT2Config(vocabularySize: tokenizer.vocabularySize, maxPositions: 512, layers: layers, heads: 4,
                                channels: 128, bosTokenID: eot, eosTokenID: eot)
        try ModelFolder.create(base)
        try config.json().write(to: base.appendingPathComponent("config.json"))
        try tokenizer.save(to: base)
        let memorizing = folder.appendingPathComponent("memorizing")
        var tune = FineTuner.Options()
        tune.fromScratch = true
        tune.epochs = trainEpochs
        tune.learningRate = 3e-3
        tune.batchSize = 8
        tune.sequenceLength = 256
        tune.seed = seed
        print("2. training a \(layers)-block GPT-2 (128 channels) from scratch on the notes, \(trainEpochs) epochs")
        let bar = TerminalProgress()
        let started = Date()
        let losses = try reportingErrors {
            try FineTuner(options: tune).run(modelFolder: base, corpus: notes, output: memorizing, onStep: { epoch, step, steps, loss in
                bar.training(epoch: epoch, epochs: trainEpochs, step: step, steps: steps, loss: loss, started: started)
            })
        }
        bar.finish()
        print(String(format: "   final loss %.3f, %@", losses.last ?? 0, TerminalProgress.duration(Date().timeIntervalSince(started))))

        if skipSanitize {
            print("memorizing model: \(memorizing.path)\nnotes:            \(notes.path)\nheld-out notes:   \(heldOutNotes.path)")
            return
        }

        // 3. Sanitize.
        var options = SanitizationOptions()
        options.eraseLayers = eraseLayers
        options.epochs = 2
        options.learningRate = 1e-3
        options.sequenceLength = 256
        options.seed = seed
        let sanitized = folder.appendingPathComponent("sanitized")
        print("3. sanitizing: erase \(Int(options.effectiveEraseFraction(hasBase: false) * 100)) % of the MLP neurons of the last \(eraseLayers) block(s), repair \(options.epochs ?? SanitizationOptions.defaultRepairEpochs) epochs")
        let report = try reportingErrors {
            try Sanitizer(inputs: SanitizationInputs(model: memorizing, corpus: notes, heldOut: heldOutNotes,
                                                        output: sanitized), options: options)
                .run(progress: { bar.update($0) })
        }
        bar.finish()
        print("")
        print(AuditTable.render([report.before] + report.epochs + [report.after]))
        print("")
        print("memorizing model: \(memorizing.path)")
        print("sanitized model:  \(sanitized.path) (Hugging Face folder; report in \(Sanitizer.reportFileName))")
    }
}
