import Foundation
import XCTest
@testable import SaniEngine

/// The BERT engine against PyTorch: masked-LM logits, loss on the masked positions, every gradient, AdamW.
final class BertReferenceTests: XCTestCase {
    var fixture: URL { ReferenceFixtures.root.appendingPathComponent("bert-tiny") }

    func batch() throws -> (tokens: [Int32], types: [Int32], targets: [Int32], weights: [Float], b: Int, t: Int) {
        let j = try ReferenceFixtures.json(fixture.appendingPathComponent("batch.json"))
        let ids = try ReferenceFixtures.ints(j["input_ids"])
        let labels = try ReferenceFixtures.ints(j["labels"]).flatMap { $0 }
        return (ids.flatMap { $0 }, try ReferenceFixtures.ints(j["token_type_ids"]).flatMap { $0 },
                labels.map { max(0, $0) }, labels.map { $0 < 0 ? 0 : 1 }, ids.count, ids[0].count)
    }

    func testLogitsLossAndEveryGradient() throws {
        let model = try BertModel.load(folder: fixture.appendingPathComponent("model"))
        let b = try batch()
        let forward = try SafetensorsFile(url: fixture.appendingPathComponent("forward.safetensors"))
        let logits = try model.forward(tokens: b.tokens, tokenTypes: b.types, batch: b.b, length: b.t).buffer.array
        assertClose(Array(logits.prefix(b.b * b.t * model.config.vocabularySize)), try forward.floats("logits"), "logits")
        let loss = try model.accumulateGradients(tokens: b.tokens, tokenTypes: b.types, targets: b.targets,
                                                 weights: b.weights, batch: b.b, length: b.t)
        assertClose([loss], try forward.floats("loss"), "masked-LM loss")
        let reference = try SafetensorsFile(url: fixture.appendingPathComponent("grads.safetensors"))
        let grads = try XCTUnwrap(model.parameters.gradients)
        for spec in model.parameters.specs {
            let name = reference.entry(spec.name) != nil ? spec.name : "cls.predictions.decoder.bias"
            if spec.name.hasSuffix("attention.self.key.bias") {
                // The key bias shifts every score of a query equally: its true gradient is 0 and both
                // implementations hold roundoff only.
                let ours = Array(UnsafeBufferPointer(start: grads.pointer + spec.offset, count: spec.count))
                XCTAssertLessThan(ours.map { abs($0) }.max() ?? 0, 1e-6, spec.name)
                continue
            }
            assertClose(Array(UnsafeBufferPointer(start: grads.pointer + spec.offset, count: spec.count)),
                        try reference.floats(name), "gradient of \(spec.name)")
        }
    }

    func testTwoAdamWStepsMatch() throws {
        let model = try BertModel.load(folder: fixture.appendingPathComponent("model"))
        let b = try batch()
        let j = try ReferenceFixtures.json(fixture.appendingPathComponent("adamw.json"))
        let h = try XCTUnwrap(j["hyperparameters"] as? [String: Double])
        let roundoff = (j["roundoff_slices"] as? [String: [Int]]) ?? [:]
        let lr = Float(try XCTUnwrap(h["lr"]))
        let optimizer = AdamW(parameters: model.parameters,
                              settings: .init(beta1: Float(try XCTUnwrap(h["beta1"])), beta2: Float(try XCTUnwrap(h["beta2"])),
                                              epsilon: Float(try XCTUnwrap(h["eps"])),
                                              weightDecay: Float(try XCTUnwrap(h["weight_decay"]))))
        let initial = model.parameters.values.array
        for _ in 0..<2 {
            model.parameters.ensureGradients()
            model.parameters.zeroGradients()
            _ = try model.accumulateGradients(tokens: b.tokens, tokenTypes: b.types, targets: b.targets, weights: b.weights,
                                              batch: b.b, length: b.t)
            GradientClipping.clip(try XCTUnwrap(model.parameters.gradients), maxNorm: Float(try XCTUnwrap(h["clip_norm"])))
            optimizer.update(learningRate: lr)
        }
        let reference = try SafetensorsFile(url: fixture.appendingPathComponent("after_adamw.safetensors"))
        for spec in model.parameters.specs {
            let name = reference.entry(spec.name) != nil ? spec.name : "cls.predictions.decoder.bias"
            var ours = model.parameters.array(spec.name)
            var expected = try reference.floats(name)
            if let slice = roundoff[spec.name] {
                // Roundoff gradients in both implementations: only bounded movement is meaningful.
                for i in slice[0]..<slice[1] {
                    XCTAssertLessThanOrEqual(abs(ours[i] - initial[spec.offset + i]), lr * 2 * 1.01)
                    ours[i] = 0
                    expected[i] = 0
                }
            }
            assertClose(ours, expected, "\(spec.name) after two AdamW steps")
        }
    }
}
