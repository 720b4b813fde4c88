import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The method end to end: a small GPT-2 trained from scratch on synthetic clinical notes until it regurgitates
/// identifiers, then sanitized. `sani` must cut span extraction by at least 80 % and token regurgitation by at
/// least half, keep perplexity on notes it never saw within +10 %, and its repair must give back utility the
/// erase took; `repair-only` and `erase-only` are run beside it for comparison.
final class MethodEndToEndTests: XCTestCase {
    func testSaniRemovesMemorizedIdentifiersAndRepairGivesUtilityBack() throws {
        let dir = try MethodTestSupport.temporaryFolder("sani-e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("notes.jsonl")
        let heldOut = dir.appendingPathComponent("held-out.jsonl")
        let notes = DemoCorpusGenerator(seed: 1).generate(records: 48, heldOutRecords: 12)
        try JSONLCorpusWriter().data(for: notes.train).write(to: corpus)
        // Notes about other patients, never trained on: utility is measured on them.
        try JSONLCorpusWriter().data(for: notes.heldOut).write(to: heldOut)

        // A 2-block GPT-2 with the small byte-level tokenizer, trained from scratch until it memorizes.
        let base = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 64, heads: 4, positions: 512, seed: 1)
        let memorizing = dir.appendingPathComponent("memorizing")
        var tune = FineTuner.Options()
        tune.fromScratch = true
        tune.epochs = 80
        tune.learningRate = 5e-3
        tune.batchSize = 8
        tune.sequenceLength = 128
        tune.seed = 1
        let losses = try FineTuner(options: tune).run(modelFolder: base, corpus: corpus, output: memorizing)
        XCTAssertLessThan(losses.last ?? 9, 0.1, "the model must fit its corpus")

        func sanitize(_ method: SanitizationMethod) throws -> SanitizationReport {
            var o = SanitizationOptions()
            o.auditAttacks = false  // the attacks have tests of their own
            o.forgetWeight = 0      // the paper's repair
            o.method = method
            o.eraseLayers = 2          // every block of this 2-block model
            o.eraseFraction = 0.5
            o.epochs = 3
            o.learningRate = 1e-3
            o.batchSize = 8
            o.sequenceLength = 128
            o.auditPrefixTokens = 128  // ~32 GPT-2 tokens of text with this small vocabulary
            o.seed = 1
            let out = dir.appendingPathComponent(method.rawValue)
            return try Sanitizer(inputs: SanitizationInputs(model: memorizing, corpus: corpus, heldOut: heldOut,
                                                            output: out), options: o).run()
        }
        let sani = try sanitize(.sani)
        let before = sani.before
        print("before:      tokens \(before.tokenRegurgitation.rate) spans \(before.spanExtraction.rate) ppl \(before.utility.perplexity)")
        print("sani:        tokens \(sani.after.tokenRegurgitation.rate) spans \(sani.after.spanExtraction.rate) ppl \(sani.after.utility.perplexity)")
        XCTAssertEqual(before.utility.split, "held-out")
        XCTAssertGreaterThan(before.spanExtraction.rate, 0.2, "the trained model regurgitates whole identifiers")
        XCTAssertGreaterThan(before.tokenRegurgitation.rate, 0.4)
        XCTAssertLessThanOrEqual(sani.after.spanExtraction.rate, 0.2 * before.spanExtraction.rate)
        XCTAssertLessThanOrEqual(sani.after.tokenRegurgitation.rate, 0.5 * before.tokenRegurgitation.rate)
        // Utility on notes about other patients the model never saw: within +10 % of the fine-tuned model's. This
        // from-scratch model generalizes little (see README, Results), so the bar is a weak one here; the
        // pretrained scenarios in the README measure it where it matters.
        print("sani perplexity / before: \(sani.after.utility.perplexity / before.utility.perplexity)")
        XCTAssertLessThanOrEqual(sani.after.utility.perplexity, 1.1 * before.utility.perplexity)
        XCTAssertEqual(sani.erase?.blocks, [0, 1])
        XCTAssertEqual(sani.epochs.count, 3)

        // The sanitized folder loads and its own audit gives the reported figures.
        let reloaded = try GPT2Model.load(folder: dir.appendingPathComponent("sani"))
        XCTAssertEqual(reloaded.config.layers, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("sani/tokenizer.json").path))

        let repairOnly = try sanitize(.repairOnly)
        print("repair-only: tokens \(repairOnly.after.tokenRegurgitation.rate) spans \(repairOnly.after.spanExtraction.rate) ppl \(repairOnly.after.utility.perplexity)")
        XCTAssertNil(repairOnly.erase)
        XCTAssertLessThan(sani.after.spanExtraction.rate, repairOnly.after.spanExtraction.rate)
        let eraseOnly = try sanitize(.eraseOnly)
        print("erase-only:  tokens \(eraseOnly.after.tokenRegurgitation.rate) spans \(eraseOnly.after.spanExtraction.rate) ppl \(eraseOnly.after.utility.perplexity)")
        XCTAssertTrue(eraseOnly.epochs.isEmpty)
        XCTAssertLessThan(sani.after.utility.perplexity, 0.5 * eraseOnly.after.utility.perplexity, "repair gives utility back")
        XCTAssertNotNil(eraseOnly.erase)
    }
}
