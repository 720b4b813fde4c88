import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The method runs unchanged on the Llama family: fine-tuning, erase (gate/up rows, down columns), repair,
/// audit, save.
final class MethodOnLlamaTests: XCTestCase {
    func testSanitizeRunsOnALlamaModel() throws {
        let tokenizer = try ByteLevelBPETokenizer.load(folder: MethodTestSupport.tinyTokenizerFolder)
        let eot = tokenizer.endOfTextID
        let config = LlamaConfig(vocabularySize: tokenizer.vocabularySize, hiddenSize: 32, intermediateSize: 48, layers: 2,
                                 heads: 4, kvHeads: 2, maxPositions: 128, tiedEmbeddings: true, bosTokenID: eot, eosTokenID: eot)
        let dir = try MethodTestSupport.temporaryFolder("sani-llama")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = dir.appendingPathComponent("base")
        let model = try LlamaModel(config: config)
        model.initializeRandomly(seed: 3)
        try model.save(to: base)
        try tokenizer.save(to: base)
        let corpus = dir.appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpus)

        var tune = FineTuner.Options()
        tune.epochs = 20
        tune.learningRate = 5e-3
        tune.batchSize = 4
        tune.sequenceLength = 32
        let trained = dir.appendingPathComponent("trained")
        let losses = try FineTuner(options: tune).run(modelFolder: base, corpus: corpus, output: trained)
        XCTAssertLessThan(losses.last ?? 99, losses.first ?? 0, "training lowers the loss")

        var options = SanitizationOptions()

        options.auditAttacks = false  // the attacks have tests of their own

        options.forgetWeight = 0      // the paper's repair
        options.epochs = 1
        options.heldOutFraction = 0
        options.kAnonymity = 0
        options.sequenceLength = 32
        options.batchSize = 4
        let out = dir.appendingPathComponent("sanitized")
        let report = try Sanitizer(inputs: SanitizationInputs(model: trained, corpus: corpus, output: out), options: options).run()
        XCTAssertEqual(report.modelFamily, "llama")
        XCTAssertEqual(report.erase?.blocks, [1])
        XCTAssertEqual(report.erase?.neuronsPerBlock, 24)
        XCTAssertEqual(report.before.spanExtraction.total, 12)
        let reloaded = try LanguageModelLoader.load(folder: out)
        XCTAssertEqual(reloaded.family, "llama")

        // Erase only: exactly the picked neurons' slices (gate/up rows, down columns) of the last block change.
        options.method = .eraseOnly
        let erased = dir.appendingPathComponent("erased")
        let eraseReport = try Sanitizer(inputs: SanitizationInputs(model: trained, corpus: corpus, output: erased),
                                        options: options).run()
        let before = try LlamaModel.load(folder: trained), after = try LlamaModel.load(folder: erased)
        let picked = Set(try XCTUnwrap(eraseReport.erase?.neurons.first))
        let a = before.parameters.values.array, b = after.parameters.values.array
        for spec in before.parameters.specs {
            for i in 0..<spec.count where a[spec.offset + i] != b[spec.offset + i] {
                let neuron: Int
                switch spec.name {
                case "model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight": neuron = i / 32
                case "model.layers.1.mlp.down_proj.weight": neuron = i % 48
                default: XCTFail("\(spec.name) changed"); return
                }
                XCTAssertTrue(picked.contains(neuron), "\(spec.name) element \(i)")
            }
        }
    }
}
