import Foundation
import XCTest
@testable import SaniEngine

/// Targeted forgetting (NPO at chosen positions) against PyTorch: the loss and every gradient of the tiny GPT-2
/// (`scripts/make_forget_fixture.py`).
final class ForgetLossReferenceTests: XCTestCase {
    func fixture() throws -> (model: GPT2Model, tokens: [Int32], targets: [Int32], weights: [Float], forget: ForgetTerms) {
        let folder = ReferenceFixtures.gpt2Tiny
        let batch = try ReferenceFixtures.json(folder.appendingPathComponent("batch.json"))
        let f = try ReferenceFixtures.json(folder.appendingPathComponent("forget.json"))
        let forget = ForgetTerms(weights: try ReferenceFixtures.floats(f["forget"]).flatMap { $0 },
                                 referenceLogProbs: try ReferenceFixtures.floats(f["reference"]).flatMap { $0 },
                                 beta: Float(try XCTUnwrap(f["beta"] as? Double)),
                                 scale: Float(try XCTUnwrap(f["scale"] as? Double)))
        return (try GPT2Model.load(folder: folder.appendingPathComponent("model")),
                try ReferenceFixtures.ints(batch["tokens"]).flatMap { $0 },
                try ReferenceFixtures.ints(batch["targets"]).flatMap { $0 },
                try ReferenceFixtures.floats(batch["weights"]).flatMap { $0 }, forget)
    }

    func testLossAndEveryGradientMatchPyTorch() throws {
        let (model, tokens, targets, weights, forget) = try fixture()
        let reference = try SafetensorsFile(url: ReferenceFixtures.gpt2Tiny.appendingPathComponent("forget.safetensors"))
        let loss = try model.accumulateGradients(tokens: tokens, targets: targets, weights: weights, forget: forget,
                                                 batch: 2, length: 16)
        assertClose([loss], try reference.floats("loss"), "loss with the forgetting term")
        let grads = try XCTUnwrap(model.parameters.gradients)
        var checked = 0
        for spec in model.parameters.specs {
            let ours = Array(UnsafeBufferPointer(start: grads.pointer + spec.offset, count: spec.count))
            assertClose(ours, try reference.floats(spec.name), "gradient of \(spec.name)")
            checked += 1
        }
        XCTAssertEqual(checked, 28)
    }

    func testTheTermChangesTheGradientAndZeroScaleRemovesIt() throws {
        let (model, tokens, targets, weights, forget) = try fixture()
        _ = try model.accumulateGradients(tokens: tokens, targets: targets, weights: weights, batch: 2, length: 16)
        let plain = try XCTUnwrap(model.parameters.gradients).array
        model.parameters.zeroGradients()
        var off = forget
        off.scale = 0
        _ = try model.accumulateGradients(tokens: tokens, targets: targets, weights: weights, forget: off,
                                          batch: 2, length: 16)
        XCTAssertEqual(try XCTUnwrap(model.parameters.gradients).array, plain)
        model.parameters.zeroGradients()
        _ = try model.accumulateGradients(tokens: tokens, targets: targets, weights: weights, forget: forget,
                                          batch: 2, length: 16)
        XCTAssertNotEqual(try XCTUnwrap(model.parameters.gradients).array, plain)
    }

    func testBadTermsAreRefused() throws {
        let (model, tokens, targets, weights, forget) = try fixture()
        var short = forget
        short.weights.removeLast()
        XCTAssertThrowsError(try model.accumulateGradients(tokens: tokens, targets: targets, weights: weights,
                                                           forget: short, batch: 2, length: 16))
        var negative = forget
        negative.beta = 0
        XCTAssertThrowsError(try model.accumulateGradients(tokens: tokens, targets: targets, weights: weights,
                                                           forget: negative, batch: 2, length: 16))
    }
}
