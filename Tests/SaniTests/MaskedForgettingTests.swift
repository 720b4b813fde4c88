import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// Targeted forgetting on a masked model (BERT): every sensitive token of a window masked at once, in a pass of
/// its own next to the masked-LM repair.
final class MaskedForgettingTests: XCTestCase {
    func testTheForgettingQuestionsAreTheSensitiveTokensMaskedTogetherAndTheirReferenceIsTheModels() throws {
        let (work, _, dir) = try MaskedAttackTests.memorizingBert()
        defer { try? FileManager.default.removeItem(at: dir) }
        let windows = work.forgetWindows
        let maskID = try XCTUnwrap(work.scheme.masking?.maskID)
        let reference = try ForgetPlan.reference(model: work.model, windows: windows, batchSize: 4, isCancelled: { false })
        let plan = ForgetPlan(windows: windows, reference: reference, beta: 2, weight: 1, sharesRepairWindows: true)
        XCTAssertFalse(plan.sharesRepairWindows, "a masked repair never masks a sensitive token: its own pass")

        let indices = Array(0..<min(3, windows.count))
        let batch = plan.batch(indices)
        let terms = plan.terms(indices)
        let length = windows.length
        var forgotten = 0
        for i in 0..<(indices.count * length) {
            // A forgotten position is a sensitive token, masked in the input; every other token is left as it is.
            if terms.weights[i] > 0 {
                forgotten += 1
                XCTAssertTrue(batch.sensitive[i])
                XCTAssertEqual(batch.tokens[i], maskID)
            } else {
                XCTAssertEqual(batch.tokens[i], batch.targets[i])
                XCTAssertEqual(terms.referenceLogProbs[i], 0)
            }
        }
        XCTAssertGreaterThan(forgotten, 10)

        // The reference is the model's own log-probability of the true token, asked the same way.
        let logits = try work.model.forward(tokens: batch.tokens, batch: indices.count, length: length)
        for i in 0..<(indices.count * length) where terms.weights[i] > 0 {
            let x = logits.buffer.pointer + i * logits.vocabulary
            let expected = x[Int(batch.targets[i])] - CrossEntropy.logSumExp(x, logits.vocabulary)
            XCTAssertEqual(terms.referenceLogProbs[i], expected, accuracy: 1e-4)
        }
    }

    func testForgettingTakesAwayMoreThanTheMaskedRepairAlone() throws {
        let (_, trained, dir) = try MaskedAttackTests.memorizingBert()
        defer { try? FileManager.default.removeItem(at: dir) }
        func run(forget: Double, name: String) throws -> SanitizationReport {
            var o = SanitizationOptions()
            o.auditAttacks = false
            o.method = .repairOnly
            o.kAnonymity = 0
            o.epochs = 2
            o.learningRate = 1e-3
            o.batchSize = 8
            o.sequenceLength = 96
            o.seed = 3
            o.forgetWeight = forget
            return try Sanitizer(inputs: SanitizationInputs(
                model: trained, corpus: dir.appendingPathComponent("notes.jsonl"),
                heldOut: dir.appendingPathComponent("held-out.jsonl"), output: dir.appendingPathComponent(name)),
                options: o).run()
        }
        let plain = try run(forget: 0, name: "plain")
        let forget = try run(forget: 1, name: "forget")
        print("bert forgetting: tokens \(plain.before.tokenRegurgitation.rate) -> plain \(plain.after.tokenRegurgitation.rate) / forget \(forget.after.tokenRegurgitation.rate); spans \(plain.before.spanExtraction.rate) -> \(plain.after.spanExtraction.rate) / \(forget.after.spanExtraction.rate); ppl \(plain.before.utility.perplexity) -> \(plain.after.utility.perplexity) / \(forget.after.utility.perplexity)")
        XCTAssertGreaterThan(plain.before.tokenRegurgitation.rate, 0.3, "the model memorized its notes")
        XCTAssertLessThan(forget.after.tokenRegurgitation.rate, plain.after.tokenRegurgitation.rate - 0.1)
        XCTAssertLessThanOrEqual(forget.after.spanExtraction.rate, plain.after.spanExtraction.rate)
        XCTAssertEqual(forget.options.forgetWeight, 1)
    }
}
