import Foundation
import XCTest
@testable import SaniEngine

/// The Llama engine against PyTorch: logits (tied and untied), weighted loss, every gradient, two AdamW steps,
/// greedy decoding with the KV cache (grouped-query attention, rotary embeddings, SwiGLU, RMSNorm).
final class LlamaReferenceTests: XCTestCase {
    var fixture: URL { ReferenceFixtures.root.appendingPathComponent("llama-tiny") }

    func batch() throws -> (tokens: [Int32], targets: [Int32], weights: [Float], b: Int, t: Int) {
        let j = try ReferenceFixtures.json(fixture.appendingPathComponent("batch.json"))
        let tokens = try ReferenceFixtures.ints(j["tokens"])
        return (tokens.flatMap { $0 }, try ReferenceFixtures.ints(j["targets"]).flatMap { $0 },
                try ReferenceFixtures.floats(j["weights"]).flatMap { $0 }, tokens.count, tokens[0].count)
    }

    func testConfigLoadsWithGroupedQueryAttention() throws {
        let model = try LlamaModel.load(folder: fixture.appendingPathComponent("model"))
        XCTAssertEqual(model.config.heads, 4)
        XCTAssertEqual(model.config.kvHeads, 2)
        XCTAssertEqual(model.config.headSize, 8)
        XCTAssertFalse(model.config.tiedEmbeddings)
        XCTAssertEqual(model.config.ropeTheta, 10000)
        XCTAssertTrue(try LanguageModelLoader.load(folder: fixture.appendingPathComponent("model")) is LlamaModel)
    }

    func testForwardLogitsLossAndTiedVariant() throws {
        let model = try LlamaModel.load(folder: fixture.appendingPathComponent("model"))
        let b = try batch()
        let reference = try SafetensorsFile(url: fixture.appendingPathComponent("forward.safetensors"))
        let logits = try model.forward(tokens: b.tokens, batch: b.b, length: b.t).buffer.array
        assertClose(Array(logits.prefix(b.b * b.t * 97)), try reference.floats("logits"), "logits")
        assertClose(try model.losses(tokens: b.tokens, targets: b.targets, batch: b.b, length: b.t),
                    try reference.floats("ce"), "per-position cross-entropy")
        let loss = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights, batch: b.b, length: b.t)
        assertClose([loss], try reference.floats("loss"), "weighted loss")

        let tied = try LlamaModel.load(folder: fixture.appendingPathComponent("model-tied"))
        XCTAssertTrue(tied.config.tiedEmbeddings)
        XCTAssertNil(tied.parameters.spec("lm_head.weight"))
        let tiedReference = try SafetensorsFile(url: fixture.appendingPathComponent("forward-tied.safetensors"))
        assertClose(try tied.forward(tokens: b.tokens, batch: b.b, length: b.t).buffer.array,
                    try tiedReference.floats("logits"), "tied logits")

        // The head on chosen rows only (untied and tied): the reference's rows, in the order asked for.
        let v = 97, n = b.b * b.t, rows = [n - 1, 1, 1, 0]
        for (m, ref) in [(model, try reference.floats("logits")), (tied, try tiedReference.floats("logits"))] {
            let view = try m.forward(tokens: b.tokens, batch: b.b, length: b.t, rows: rows)
            assertClose(Array(view.buffer.array.prefix(rows.count * v)),
                        rows.flatMap { Array(ref[($0 * v)..<(($0 + 1) * v)]) }, "logits of chosen rows")
        }
    }

    func testEveryGradientMatches() throws {
        let model = try LlamaModel.load(folder: fixture.appendingPathComponent("model"))
        let b = try batch()
        let reference = try SafetensorsFile(url: fixture.appendingPathComponent("grads.safetensors"))
        _ = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights, batch: b.b, length: b.t)
        let grads = try XCTUnwrap(model.parameters.gradients)
        for spec in model.parameters.specs {
            let ours = Array(UnsafeBufferPointer(start: grads.pointer + spec.offset, count: spec.count))
            assertClose(ours, try reference.floats(spec.name), "gradient of \(spec.name)")
        }
        XCTAssertEqual(model.parameters.specs.count, 2 * 9 + 3)
        assertClose([GradientClipping.norm(grads)], try reference.floats("grad_norm"), "global gradient norm")
    }

    func testTwoAdamWStepsMatch() throws {
        let model = try LlamaModel.load(folder: fixture.appendingPathComponent("model"))
        let b = try batch()
        let j = try ReferenceFixtures.json(fixture.appendingPathComponent("adamw.json"))
        let h = try XCTUnwrap(j["hyperparameters"] as? [String: Double])
        let optimizer = AdamW(parameters: model.parameters,
                              settings: .init(beta1: Float(try XCTUnwrap(h["beta1"])), beta2: Float(try XCTUnwrap(h["beta2"])),
                                              epsilon: Float(try XCTUnwrap(h["eps"])),
                                              weightDecay: Float(try XCTUnwrap(h["weight_decay"]))))
        for _ in 0..<2 {
            model.parameters.ensureGradients()
            model.parameters.zeroGradients()
            _ = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights, batch: b.b, length: b.t)
            GradientClipping.clip(try XCTUnwrap(model.parameters.gradients), maxNorm: Float(try XCTUnwrap(h["clip_norm"])))
            optimizer.update(learningRate: Float(try XCTUnwrap(h["lr"])))
        }
        let reference = try SafetensorsFile(url: fixture.appendingPathComponent("after_adamw.safetensors"))
        for spec in model.parameters.specs {
            assertClose(model.parameters.array(spec.name), try reference.floats(spec.name), "\(spec.name) after two AdamW steps")
        }
    }

    func testGreedyDecodingWithTheCacheMatchesPyTorch() throws {
        let model = try LlamaModel.load(folder: fixture.appendingPathComponent("model"))
        let j = try ReferenceFixtures.json(fixture.appendingPathComponent("generate.json"))
        let prompts = try ReferenceFixtures.ints(j["prompts"])
        let continuations = try ReferenceFixtures.ints(j["continuations"])
        let nextLogits = try ReferenceFixtures.floats(j["next_logits"])
        for (i, prompt) in prompts.enumerated() {
            let cache = model.makeCache(sequences: 1, capacity: prompt.count)
            let rows = prompt.enumerated().map { DecodeRow(sequence: 0, position: $0.offset, token: $0.element) }
            assertClose(Array(try model.decode(rows, cache: cache).row(prompt.count - 1)), nextLogits[i], "prefill \(i)")
        }
        let out = try Generator.generate(model, prompts: prompts, maxNewTokens: continuations[0].count)
        XCTAssertEqual(out.map(\.tokens), continuations)
    }

    func testSaveReloadGivesIdenticalLogits() throws {
        let model = try LlamaModel.load(folder: fixture.appendingPathComponent("model"))
        let b = try batch()
        let before = try model.forward(tokens: b.tokens, batch: b.b, length: b.t).buffer.array
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sani-llama-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.save(to: dir)
        let after = try LlamaModel.load(folder: dir).forward(tokens: b.tokens, batch: b.b, length: b.t).buffer.array
        XCTAssertEqual(before, after)
        XCTAssertEqual(try LlamaConfig(json: JSONConfig(url: dir.appendingPathComponent("config.json"))), model.config)
    }
}
