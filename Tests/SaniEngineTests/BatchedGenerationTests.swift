import Foundation
import XCTest
@testable import SaniEngine

/// Generation of many requests in batches against the same requests one at a time: same tokens, same finish
/// reasons, greedy and sampled, for GPT-2 and Llama.
final class BatchedGenerationTests: XCTestCase {
    func gpt2() throws -> GPT2Model { try TinyDecoderModels.gpt2() }

    func llama() throws -> LlamaModel { try TinyDecoderModels.llama() }

    /// Prompts of lengths 1 to 13 at different start positions, different numbers of new tokens (one none, one
    /// running into the end of the context) and, for some, an expected continuation.
    func requests(vocabulary: Int, maxPositions: Int, expected: (Int) -> [Int32]? = { _ in nil }) -> [GenerationRequest] {
        var rng = RandomSource(seed: 11)
        return (0..<11).map { i in
            let length = [1, 5, 13, 2, 8, 3, 13, 1, 6, 4, 9][i]
            let prompt = (0..<length).map { _ in Int32(rng.next() % UInt64(vocabulary)) }
            let start = i == 6 ? maxPositions - length - 3 : Int(rng.next() % 7)
            let newTokens = i == 3 ? 0 : 4 + i
            return GenerationRequest(prompt: prompt, startPosition: start, maxNewTokens: newTokens,
                                     seed: 1000 + UInt64(i), expected: expected(i))
        }
    }

    func assertBatchSizesAgree(_ model: any IncrementalDecoder, _ requests: [GenerationRequest],
                               sampling: SamplingSettings, stopTokens: Set<Int32> = [],
                               file: StaticString = #filePath, line: UInt = #line) throws -> [GenerationResult] {
        let one = try Generator.generate(model, requests: requests, sampling: sampling, stopTokens: stopTokens,
                                         batchSize: 1)
        for batch in [2, 3, 4, 32] {
            let batched = try Generator.generate(model, requests: requests, sampling: sampling, stopTokens: stopTokens,
                                                 batchSize: batch)
            XCTAssertEqual(batched, one, "batch size \(batch) against one at a time", file: file, line: line)
        }
        // A cache budget of one slot runs the batch one sequence at a time too.
        let budgeted = try Generator.generate(model, requests: requests, sampling: sampling, stopTokens: stopTokens,
                                              batchSize: 32, cacheBudget: 1)
        XCTAssertEqual(budgeted, one, "a one-slot cache budget", file: file, line: line)
        return one
    }

    func checkFamily(_ model: any IncrementalDecoder) throws {
        let plain = requests(vocabulary: model.vocabularySize, maxPositions: model.maxPositions)
        let greedy = try assertBatchSizesAgree(model, plain, sampling: .greedy)
        XCTAssertEqual(greedy[3].tokens, [], "no new tokens asked")
        // The context ends three positions after that prompt: three tokens run there, a fourth is produced.
        XCTAssertEqual(greedy[6].tokens.count, 4)
        for (i, r) in greedy.enumerated() where i != 3 && i != 6 {
            XCTAssertEqual(r.tokens.count, plain[i].maxNewTokens)
            XCTAssertEqual(r.finishReason, .length)
        }
        // One request at a time through the original entry point gives the same tokens.
        for (i, r) in plain.enumerated() {
            let alone = try Generator.generate(model, prompts: [r.prompt], maxNewTokens: r.maxNewTokens,
                                               startPositions: [r.startPosition])
            XCTAssertEqual(alone[0].tokens, greedy[i].tokens, "request \(i) through generate(prompts:)")
        }

        // Expected continuations: the greedy one itself (runs to the end), or one changed at its third token
        // (stops right there, the unexpected token kept).
        let withExpected = requests(vocabulary: model.vocabularySize, maxPositions: model.maxPositions) { i in
            var e = greedy[i].tokens
            if i % 2 == 0 && e.count > 2 { e[2] = (e[2] + 1) % Int32(model.vocabularySize) }
            return e
        }
        let checked = try assertBatchSizesAgree(model, withExpected, sampling: .greedy)
        for (i, r) in checked.enumerated() {
            if i % 2 == 0 && greedy[i].tokens.count > 2 {
                XCTAssertEqual(r.tokens, Array(greedy[i].tokens.prefix(3)), "request \(i)")
                XCTAssertEqual(r.finishReason, .diverged)
            } else {
                XCTAssertEqual(r.tokens, greedy[i].tokens, "request \(i)")
            }
        }

        // Sampling: each sequence draws from its own stream, whatever its neighbours.
        let sampling = SamplingSettings(temperature: 1.0)
        let sampled = try assertBatchSizesAgree(model, plain, sampling: sampling)
        XCTAssertNotEqual(sampled.map(\.tokens), greedy.map(\.tokens))
        var reseeded = plain
        reseeded[4].seed += 1
        let other = try Generator.generate(model, requests: reseeded, sampling: sampling, batchSize: 4)
        XCTAssertNotEqual(other[4].tokens, sampled[4].tokens, "another seed, another draw")
        XCTAssertEqual(Array(other[5...]), Array(sampled[5...]), "the neighbours' draws are unchanged")
        _ = try assertBatchSizesAgree(model, plain, sampling: SamplingSettings(temperature: 0.8, topK: 5, topP: 0.9))

        // A stop token ends some sequences early, in the middle of a batch.
        let stop = greedy[2].tokens[1]
        let stopped = try assertBatchSizesAgree(model, plain, sampling: .greedy, stopTokens: [stop])
        for (i, r) in stopped.enumerated() {
            XCTAssertEqual(r.tokens, Array(greedy[i].tokens.prefix { $0 != stop }), "request \(i)")
            XCTAssertEqual(r.finishReason, greedy[i].tokens.contains(stop) ? .stopToken : .length, "request \(i)")
        }
    }

    func testGPT2BatchedEqualsOneAtATime() throws {
        try checkFamily(try gpt2())
    }

    func testLlamaBatchedEqualsOneAtATime() throws {
        try checkFamily(try llama())
    }

    func testLogitsOfSelectedRowsAreThoseOfTheFullPass() throws {
        for model in [try gpt2() as any IncrementalDecoder, try llama()] {
            let prompt: [Int32] = [3, 14, 15, 9, 2, 6, 5]
            let rows = prompt.enumerated().map { DecodeRow(sequence: 0, position: $0.offset + 2, token: $0.element) }
            let full = model.makeCache(sequences: 1, capacity: 8)
            full.startPositions = [2]
            let all = try model.decode(rows, cache: full)
            let some = model.makeCache(sequences: 1, capacity: 8)
            some.startPositions = [2]
            let selected = try model.decode(rows, cache: some, logitsOf: [6, 1])
            XCTAssertEqual(selected.rows, 2)
            for (k, r) in [6, 1].enumerated() {
                let a = all.row(r), b = selected.row(k)
                for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(x))) }
            }
            XCTAssertThrowsError(try model.decode(rows, cache: some, logitsOf: [7]))
            // Positions before the slot's start or past its capacity are refused.
            XCTAssertThrowsError(try model.decode([DecodeRow(sequence: 0, position: 1, token: 1)], cache: some))
            XCTAssertThrowsError(try model.decode([DecodeRow(sequence: 0, position: 10, token: 1)], cache: some))
        }
    }

    func testWholeVocabularySamplingMatchesTheGeneralPath() {
        var rng = RandomSource(seed: 3)
        let logits = (0..<203).map { _ in rng.nextNormal() * 3 }
        logits.withUnsafeBufferPointer { buf in
            for temperature: Float in [0.5, 1, 1.7] {
                var a = RandomSource(seed: 9), b = RandomSource(seed: 9)
                for _ in 0..<300 {
                    let fast = Sampler.sampleAll(buf, invT: 1 / temperature, rng: &a)
                    let general = Sampler.sampleFiltered(buf, settings: SamplingSettings(temperature: temperature), rng: &b)
                    XCTAssertEqual(fast, general)
                }
            }
        }
    }
}
