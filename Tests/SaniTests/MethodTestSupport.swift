import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// Small models and corpora for the method's tests, built on the fly in a temporary folder.
enum MethodTestSupport {
    /// The tiny GPT-2 (2 blocks, 48 channels, seed 4) fine-tuned on the small corpus for `epochs` epochs at a high
    /// learning rate, so that it reproduces some of the corpus's spans: the base folder, a work folder, the corpus
    /// and the fine-tuned folder.
    static func memorizingTinyModel(epochs: Int) throws -> (base: URL, dir: URL, corpus: URL, trained: URL) {
        let folder = try tinyModelFolder(layers: 2, channels: 48, seed: 4)
        let dir = try temporaryFolder()
        let corpusURL = dir.appendingPathComponent("c.jsonl")
        try smallCorpus(at: corpusURL)
        var tune = FineTuner.Options()
        tune.epochs = epochs
        tune.learningRate = 1e-2
        tune.batchSize = 4
        tune.sequenceLength = 32
        tune.warmupSteps = 5
        let trained = dir.appendingPathComponent("trained")
        try FineTuner(options: tune).run(modelFolder: folder, corpus: corpusURL, output: trained)
        return (folder, dir, corpusURL, trained)
    }

    /// Trains `from` on `corpus` into `out` (batches of 8 windows of 128 tokens): from scratch (`scratch`) or as a
    /// fine-tune.
    @discardableResult
    static func train(_ from: URL, on corpus: URL, into out: URL, epochs: Int, lr: Double, scratch: Bool,
                      seed: UInt64) throws -> URL {
        var tune = FineTuner.Options()
        tune.fromScratch = scratch
        tune.epochs = epochs
        tune.learningRate = lr
        tune.batchSize = 8
        tune.sequenceLength = 128
        tune.seed = seed
        _ = try FineTuner(options: tune).run(modelFolder: from, corpus: corpus, output: out)
        return out
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A byte-level BPE of 320 tokens (with `<|endoftext|>`), committed as an engine test fixture.
    static var tinyTokenizerFolder: URL {
        repositoryRoot.appendingPathComponent("Tests/SaniEngineTests/Fixtures/tokenizer/tiny")
    }

    static func temporaryFolder(_ name: String = "sani-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Saves a randomly initialised GPT-2 with the tiny tokenizer into a new folder.
    static func tinyModelFolder(layers: Int = 2, channels: Int = 32, heads: Int = 4, positions: Int = 128,
                                seed: UInt64 = 1) throws -> URL {
        let tokenizer = try ByteLevelBPETokenizer.load(folder: tinyTokenizerFolder)
        let eot = tokenizer.endOfTextID
        let config = GPT2Config(vocabularySize: tokenizer.vocabularySize, maxPositions: positions, layers: layers,
                                heads: heads, channels: channels, bosTokenID: eot, eosTokenID: eot)
        let model = try GPT2Model(config: config)
        model.initializeRandomly(seed: seed)
        let folder = try temporaryFolder("sani-model")
        try model.save(to: folder)
        try tokenizer.save(to: folder)
        return folder
    }

    static func writeJSONL(_ records: [[String: Any]], to url: URL) throws {
        let lines = try records.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    /// A few short notes with annotated names and record numbers.
    static func smallCorpus(at url: URL) throws {
        var records: [[String: Any]] = []
        let names = ["Ana Ruiz", "Bo Chen", "Cy Okoro", "Di Park", "Ed Hale", "Flo Ng"]
        for (i, name) in names.enumerated() {
            let mrn = "MRN \(4_100_000 + i * 7_919)"
            let text = "Patient \(name) seen today, \(mrn). Stable, follow up in two weeks."
            let nameStart = "Patient ".count
            let mrnStart = text.distance(from: text.startIndex, to: text.range(of: mrn)!.lowerBound)
            records.append(["text": text, "subject": "p\(i)",
                            "spans": [["start": nameStart, "end": nameStart + name.count, "label": "PATIENT"],
                                      ["start": mrnStart + 4, "end": mrnStart + mrn.count, "label": "MEDICALRECORD"]]])
        }
        try writeJSONL(records, to: url)
    }
}
