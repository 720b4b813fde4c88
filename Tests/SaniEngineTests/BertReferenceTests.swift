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

    /// With `rows`, the head runs on those rows alone: their logits are PyTorch's, packed in the order asked,
    /// and a model of another family gives the same rows of its full output.
    func testLogitsOfSelectedRowsOnly() throws {
        let model = try BertModel.load(folder: fixture.appendingPathComponent("model"))
        let b = try batch()
        let v = model.config.vocabularySize
        let reference = try SafetensorsFile(url: fixture.appendingPathComponent("forward.safetensors")).floats("logits")
        let rows = [b.b * b.t - 1, 3, 0, b.t + 2]
        let packed = try model.forward(tokens: b.tokens, tokenTypes: b.types, batch: b.b, length: b.t, rows: rows)
        XCTAssertEqual(packed.rows, rows.count)
        for (i, r) in rows.enumerated() {
            assertClose(packed.row(i), Array(reference[(r * v)..<((r + 1) * v)]), "logits of row \(r)")
        }
        let none = try model.forward(tokens: b.tokens, tokenTypes: b.types, batch: b.b, length: b.t, rows: [])
        XCTAssertEqual(none.rows, 0)
        XCTAssertThrowsError(try model.forward(tokens: b.tokens, tokenTypes: b.types, batch: b.b, length: b.t,
                                               rows: [b.b * b.t]))
        // A causal model through the protocol (its head on the chosen rows): the full forward's rows, to rounding.
        let gpt2 = try GPT2Model(config: GPT2Config(vocabularySize: 50, maxPositions: 16, layers: 1, heads: 2, channels: 16))
        gpt2.initializeRandomly(seed: 3)
        let tokens: [Int32] = (0..<12).map { Int32($0 * 7 % 50) }
        let full = try gpt2.forward(tokens: tokens, batch: 2, length: 6).buffer.array
        let some = try (gpt2 as any LanguageModel).forward(tokens: tokens, batch: 2, length: 6, rows: [7, 1])
        assertClose(some.row(0), Array(full[(7 * 50)..<(8 * 50)]), "row 7")
        assertClose(some.row(1), Array(full[50..<100]), "row 1")
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
