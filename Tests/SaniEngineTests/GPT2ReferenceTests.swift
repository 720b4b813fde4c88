import Foundation
import XCTest
@testable import SaniEngine

/// The GPT-2 engine against PyTorch: logits, weighted loss, every gradient, two AdamW steps, greedy decoding.
final class GPT2ReferenceTests: XCTestCase {
    struct Batch {
        let tokens: [Int32], targets: [Int32], weights: [Float]
        let batch: Int, length: Int
    }

    func loadBatch() throws -> Batch {
        let j = try ReferenceFixtures.json(ReferenceFixtures.gpt2Tiny.appendingPathComponent("batch.json"))
        let tokens = try ReferenceFixtures.ints(j["tokens"])
        let targets = try ReferenceFixtures.ints(j["targets"])
        let weights = try ReferenceFixtures.floats(j["weights"])
        return Batch(tokens: tokens.flatMap { $0 }, targets: targets.flatMap { $0 }, weights: weights.flatMap { $0 },
                     batch: tokens.count, length: tokens[0].count)
    }

    func loadModel() throws -> GPT2Model {
        try GPT2Model.load(folder: ReferenceFixtures.gpt2Tiny.appendingPathComponent("model"))
    }

    func testConfigAndWeightsLoad() throws {
        let model = try loadModel()
        XCTAssertEqual(model.config.layers, 2)
        XCTAssertEqual(model.config.channels, 32)
        XCTAssertEqual(model.config.heads, 4)
        XCTAssertEqual(model.config.vocabularySize, 101)
        let store = try WeightStore(folder: ReferenceFixtures.gpt2Tiny.appendingPathComponent("model"))
        XCTAssertEqual(model.parameters.array("transformer.h.1.mlp.c_fc.bias"),
                       try store.floats("transformer.h.1.mlp.c_fc.bias"))
    }

    func testForwardLogitsAndWeightedLoss() throws {
        let model = try loadModel()
        let b = try loadBatch()
        let reference = try SafetensorsFile(url: ReferenceFixtures.gpt2Tiny.appendingPathComponent("forward.safetensors"))
        let view = try model.forward(tokens: b.tokens, batch: b.batch, length: b.length)
        let logits = Array(UnsafeBufferPointer(start: view.buffer.pointer, count: view.rows * view.vocabulary))
        assertClose(logits, try reference.floats("logits"), "logits")
        let ce = try model.losses(tokens: b.tokens, targets: b.targets, batch: b.batch, length: b.length)
        assertClose(ce, try reference.floats("ce"), "per-position cross-entropy")
        let loss = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                                 batch: b.batch, length: b.length)
        assertClose([loss], try reference.floats("loss"), "weighted loss")
    }

    func testLogitsOfChosenRowsMatchTheReferenceRows() throws {
        let model = try loadModel()
        let b = try loadBatch()
        let reference = try SafetensorsFile(url: ReferenceFixtures.gpt2Tiny.appendingPathComponent("forward.safetensors"))
        let all = try reference.floats("logits")
        let v = model.config.vocabularySize, n = b.batch * b.length
        // Out of order, repeated, and none at all.
        let rows = [n - 1, 0, 3, 3, n / 2]
        let view = try model.forward(tokens: b.tokens, batch: b.batch, length: b.length, rows: rows)
        XCTAssertEqual(view.rows, rows.count)
        let picked = Array(UnsafeBufferPointer(start: view.buffer.pointer, count: rows.count * v))
        assertClose(picked, rows.flatMap { Array(all[($0 * v)..<(($0 + 1) * v)]) }, "logits of the chosen rows")
        XCTAssertEqual(try model.forward(tokens: b.tokens, batch: b.batch, length: b.length, rows: []).rows, 0)
        XCTAssertThrowsError(try model.forward(tokens: b.tokens, batch: b.batch, length: b.length, rows: [n]))
    }

    func testEveryGradientMatches() throws {
        let model = try loadModel()
        let b = try loadBatch()
        let reference = try SafetensorsFile(url: ReferenceFixtures.gpt2Tiny.appendingPathComponent("grads.safetensors"))
        _ = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                          batch: b.batch, length: b.length)
        let grads = try XCTUnwrap(model.parameters.gradients)
        var checked = 0
        for spec in model.parameters.specs {
            let ours = Array(UnsafeBufferPointer(start: grads.pointer + spec.offset, count: spec.count))
            assertClose(ours, try reference.floats(spec.name), "gradient of \(spec.name)")
            checked += 1
        }
        XCTAssertEqual(checked, 28)
        assertClose([GradientClipping.norm(grads)], try reference.floats("grad_norm"), "global gradient norm")
    }

    func testZeroWeightPositionsContributeNothing() throws {
        let model = try loadModel()
        let b = try loadBatch()
        // Changing the target at a weight-0 position must not change loss or gradients.
        var altered = b.targets
        let masked = try XCTUnwrap(b.weights.firstIndex(of: 0))
        altered[masked] = (altered[masked] + 7) % 101
        let l1 = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                               batch: b.batch, length: b.length)
        let g1 = try XCTUnwrap(model.parameters.gradients).array
        model.parameters.zeroGradients()
        let l2 = try model.accumulateGradients(tokens: b.tokens, targets: altered, weights: b.weights,
                                               batch: b.batch, length: b.length)
        let g2 = try XCTUnwrap(model.parameters.gradients).array
        XCTAssertEqual(l1, l2)
        XCTAssertEqual(g1, g2)
    }

    func testTwoAdamWStepsMatch() throws {
        let model = try loadModel()
        let b = try loadBatch()
        let j = try ReferenceFixtures.json(ReferenceFixtures.gpt2Tiny.appendingPathComponent("adamw.json"))
        let h = try XCTUnwrap(j["hyperparameters"] as? [String: Double])
        let expectedLosses = try XCTUnwrap(j["losses"] as? [Double]).map(Float.init)
        let expectedNorms = try XCTUnwrap(j["grad_norms"] as? [Double]).map(Float.init)
        let roundoff = try XCTUnwrap(j["roundoff_slices"] as? [String: [Int]])
        let lr = Float(try XCTUnwrap(h["lr"]))
        let optimizer = AdamW(parameters: model.parameters,
                              settings: .init(beta1: Float(try XCTUnwrap(h["beta1"])), beta2: Float(try XCTUnwrap(h["beta2"])),
                                              epsilon: Float(try XCTUnwrap(h["eps"])),
                                              weightDecay: Float(try XCTUnwrap(h["weight_decay"]))))
        let initial = model.parameters.values.array
        for step in 0..<2 {
            model.parameters.ensureGradients()
            model.parameters.zeroGradients()
            let loss = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                                     batch: b.batch, length: b.length)
            let norm = GradientClipping.clip(try XCTUnwrap(model.parameters.gradients),
                                             maxNorm: Float(try XCTUnwrap(h["clip_norm"])))
            assertClose([loss], [expectedLosses[step]], "loss at step \(step + 1)")
            assertClose([norm], [expectedNorms[step]], "gradient norm at step \(step + 1)")
            optimizer.update(learningRate: lr)
        }
        let reference = try SafetensorsFile(url: ReferenceFixtures.gpt2Tiny.appendingPathComponent("after_adamw.safetensors"))
        for spec in model.parameters.specs {
            var ours = model.parameters.array(spec.name)
            var expected = try reference.floats(spec.name)
            if let slice = roundoff[spec.name] {
                // Gradients that are pure roundoff in both implementations: only bounded movement is meaningful.
                for i in slice[0]..<slice[1] {
                    XCTAssertLessThanOrEqual(abs(ours[i] - initial[spec.offset + i]), lr * 2 * 1.01)
                    ours[i] = 0
                    expected[i] = 0
                }
            }
            assertClose(ours, expected, "\(spec.name) after two AdamW steps")
        }
    }

    func testSaveReloadGivesIdenticalLogits() throws {
        let model = try loadModel()
        let b = try loadBatch()
        let before = try model.forward(tokens: b.tokens, batch: b.batch, length: b.length).buffer.array
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sani-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.save(to: dir, companionsFrom: ReferenceFixtures.gpt2Tiny.appendingPathComponent("model"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("generation_config.json").path))
        let reloaded = try GPT2Model.load(folder: dir)
        let after = try reloaded.forward(tokens: b.tokens, batch: b.batch, length: b.length).buffer.array
        XCTAssertEqual(before, after)
        let file = try SafetensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(file.metadata["format"], "pt")
    }
}
