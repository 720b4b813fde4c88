import Foundation
import XCTest
@testable import SaniEngine

/// Generation with the KV cache against PyTorch greedy decoding, and the sampling options.
final class GenerationTests: XCTestCase {
    func fixture() throws -> (GPT2Model, [[Int32]], [[Int32]], [[Float]]) {
        let model = try GPT2Model.load(folder: ReferenceFixtures.gpt2Tiny.appendingPathComponent("model"))
        let j = try ReferenceFixtures.json(ReferenceFixtures.gpt2Tiny.appendingPathComponent("generate.json"))
        return (model, try ReferenceFixtures.ints(j["prompts"]), try ReferenceFixtures.ints(j["continuations"]),
                try ReferenceFixtures.floats(j["next_logits"]))
    }

    func testPrefillLogitsMatchPyTorch() throws {
        let (model, prompts, _, nextLogits) = try fixture()
        for (i, prompt) in prompts.enumerated() {
            let cache = model.makeCache(sequences: 1, capacity: prompt.count)
            let rows = prompt.enumerated().map { DecodeRow(sequence: 0, position: $0.offset, token: $0.element) }
            let logits = try model.decode(rows, cache: cache)
            assertClose(Array(logits.row(prompt.count - 1)), nextLogits[i], "next-token logits of prompt \(i)")
        }
    }

    func testCachedDecodeMatchesFullForward() throws {
        let (model, prompts, _, _) = try fixture()
        let prompt = prompts[2]
        let full = try model.forward(tokens: prompt, batch: 1, length: prompt.count).buffer.array
        let cache = model.makeCache(sequences: 1, capacity: prompt.count)
        var stepwise: [Float] = []
        for (t, token) in prompt.enumerated() {
            let logits = try model.decode([DecodeRow(sequence: 0, position: t, token: token)], cache: cache)
            stepwise += Array(logits.row(0))
        }
        assertClose(stepwise, full, "token-by-token logits against the full forward pass")
    }

    func testGreedyContinuationsMatchPyTorchOneByOneAndBatched() throws {
        let (model, prompts, continuations, _) = try fixture()
        for (i, prompt) in prompts.enumerated() {
            let r = try Generator.generate(model, prompts: [prompt], maxNewTokens: 12)
            XCTAssertEqual(r[0].tokens, continuations[i], "prompt \(i) alone")
            XCTAssertEqual(r[0].finishReason, .length)
        }
        let batched = try Generator.generate(model, prompts: prompts, maxNewTokens: 12)
        XCTAssertEqual(batched.map(\.tokens), continuations, "all prompts in one batch")
    }

    func testStopTokensEndEachSequenceSeparately() throws {
        let (model, prompts, continuations, _) = try fixture()
        let stop = continuations[1][3]
        let r = try Generator.generate(model, prompts: prompts, maxNewTokens: 12, stopTokens: [stop])
        for (i, cont) in continuations.enumerated() {
            if let cut = cont.firstIndex(of: stop) {
                XCTAssertEqual(r[i].tokens, Array(cont[..<cut]))
                XCTAssertEqual(r[i].finishReason, .stopToken)
            } else {
                XCTAssertEqual(r[i].tokens, cont)
            }
        }
    }

    func testSamplingIsSeededAndTopKOneIsGreedy() throws {
        let (model, prompts, continuations, _) = try fixture()
        let s = SamplingSettings(temperature: 1.0, topK: 20, topP: 0.9, seed: 42)
        let a = try Generator.generate(model, prompts: prompts, maxNewTokens: 12, sampling: s)
        let b = try Generator.generate(model, prompts: prompts, maxNewTokens: 12, sampling: s)
        XCTAssertEqual(a, b)
        var other = s
        other.seed = 43
        let c = try Generator.generate(model, prompts: prompts, maxNewTokens: 12, sampling: other)
        XCTAssertNotEqual(a.map(\.tokens), c.map(\.tokens))
        let topOne = try Generator.generate(model, prompts: prompts, maxNewTokens: 12,
                                            sampling: SamplingSettings(temperature: 0.7, topK: 1, seed: 1))
        XCTAssertEqual(topOne.map(\.tokens), continuations)
        XCTAssertThrowsError(try Generator.generate(model, prompts: prompts, maxNewTokens: 2,
                                                    sampling: SamplingSettings(temperature: 1, topP: 0)))
        XCTAssertThrowsError(try Generator.generate(model, prompts: [[]], maxNewTokens: 2))
        XCTAssertThrowsError(try Generator.generate(model, prompts: [[500]], maxNewTokens: 2))
    }

    func testPromptsCanKeepTheirDocumentPositions() throws {
        let (model, prompts, continuations, _) = try fixture()
        // Make position k + j embed like position j: generating at offset k must then equal generating at 0.
        let k = 20
        let wpe = model.parameters.pointer("transformer.wpe.weight")
        let c = model.config.channels
        for j in 0..<(model.config.maxPositions - k) { (wpe + (k + j) * c).update(from: wpe + j * c, count: c) }
        let shifted = try Generator.generate(model, prompts: prompts, maxNewTokens: 12,
                                             startPositions: [k, k, k])
        XCTAssertEqual(shifted.map(\.tokens), continuations)
        let mixed = try Generator.generate(model, prompts: prompts, maxNewTokens: 12, startPositions: [0, k, 3])
        XCTAssertEqual(mixed[1].tokens, continuations[1])
        XCTAssertThrowsError(try Generator.generate(model, prompts: prompts, maxNewTokens: 2, startPositions: [64, 0, 0]))
    }

    func testSamplerRespectsTopPMass() {
        // Probabilities ∝ exp(logits): 0.5, 0.3, 0.2 → top-p 0.6 keeps the first two only.
        let logits: [Float] = [log(0.5), log(0.3), log(0.2)].map { Float($0) }
        var rng = RandomSource(seed: 7)
        var seen = Set<Int>()
        logits.withUnsafeBufferPointer { buf in
            for _ in 0..<500 {
                seen.insert(Sampler.sample(buf, settings: SamplingSettings(temperature: 1, topP: 0.6), rng: &rng))
            }
        }
        XCTAssertEqual(seen, [0, 1])
    }
}
