import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The relearning attack changes the model while it runs and gives back the exact parameter values after.
final class RelearningAttackTests: XCTestCase {
    func bits(_ buffer: FloatBuffer) -> [UInt32] { buffer.array.map(\.bitPattern) }

    func testTheParametersAreRestoredBitForBit() throws {
        let folder = try MethodTestSupport.tinyModelFolder(layers: 1, channels: 32, seed: 9)
        let dir = try MethodTestSupport.temporaryFolder()
        let corpusURL = dir.appendingPathComponent("c.jsonl"), heldOutURL = dir.appendingPathComponent("h.jsonl")
        try MethodTestSupport.smallCorpus(at: corpusURL)
        try AttackAuditTests.heldOutNotes(at: heldOutURL)
        var options = SanitizationOptions()
        options.kAnonymity = 0
        let work = try PreparedWork(inputs: SanitizationInputs(model: folder, corpus: corpusURL, heldOut: heldOutURL,
                                                               output: dir), options: options)
        let notes = try XCTUnwrap(work.heldOut)
        let original = bits(work.model.parameters.values)
        let attack = RelearningAttack(model: work.model, steps: 4, batchSize: 2, learningRate: 1e-3, sequenceLength: 16,
                                      seed: 1)
        var steps = 0
        let changed = try attack.whileRelearned(on: notes, advanced: { steps += $0 }) {
            bits(work.model.parameters.values) != original
        }
        XCTAssertEqual(steps, 4)
        XCTAssertTrue(changed, "the fine-tune moved no parameter")
        XCTAssertEqual(bits(work.model.parameters.values), original)

        // A cancelled relearning restores them too.
        XCTAssertThrowsError(try attack.whileRelearned(on: notes, isCancelled: { true }) { () })
        XCTAssertEqual(bits(work.model.parameters.values), original)

        // The audit's relearning figure comes from the relearned model and leaves the model as it was.
        var settings = PreparedWork.finalAuditSettings(options)
        settings.attacks?.relearnSteps = 4
        settings.attacks?.relearnLearningRate = 1e-3
        let report = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: settings)
            .audit(stage: "t", memorized: work.train, heldOut: notes)
        let relearned = try XCTUnwrap(report.relearned)
        XCTAssertEqual(relearned.steps, 4)
        XCTAssertEqual(relearned.learningRate, 1e-3)
        XCTAssertEqual(relearned.spanExtraction.total, report.spanExtraction.total)
        XCTAssertEqual(Set(relearned.spanExtractionByLabel.keys), Set(report.spanExtractionByLabel.keys))
        XCTAssertEqual(bits(work.model.parameters.values), original)
    }
}
