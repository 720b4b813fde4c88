import Foundation
import XCTest
@testable import SaniEngine

/// The forward pass that keeps nothing for a backward (one block's buffers, attention one sequence at a time in
/// causal blocks of query rows) against the training pass, whose attention the PyTorch fixtures check. Lengths
/// span several blocks of `CausalAttention.blockRows`, which the tiny fixtures do not reach.
final class InferenceForwardTests: XCTestCase {
    func randomQKV(rows: Int, layout: AttentionLayout, seed: UInt64) -> FloatBuffer {
        let qkv = FloatBuffer(count: rows * layout.rowStride)
        var rng = RandomSource(seed: seed)
        rng.fillNormal(qkv.pointer, qkv.count, std: 1.5)
        return qkv
    }

    func testAttentionEqualsTheTrainingKernelAcrossBlocks() {
        let block = CausalAttention.blockRows
        let layouts: [AttentionLayout] = [.packedQKV(channels: 24, heads: 3), .grouped(heads: 4, kvHeads: 2, headSize: 8)]
        for layout in layouts {
            for t in [1, block - 1, block, block + 1, 2 * block + 37] {
                for causal in [true, false] {
                    let batch = 2, rows = batch * t
                    let qkv = randomQKV(rows: rows, layout: layout, seed: UInt64(t))
                    let expected = FloatBuffer(count: rows * layout.outputWidth)
                    let probs = FloatBuffer(count: batch * layout.heads * t * t)
                    CausalAttention.forward(out: expected.pointer, probs: probs.pointer, qkv: qkv.pointer, batch: batch,
                                            length: t, layout: layout, causal: causal)
                    let out = FloatBuffer(count: rows * layout.outputWidth)
                    // Scratch left full of garbage: the kernel must not read what it did not write.
                    let scratch = FloatBuffer(count: CausalAttention.inferenceScratchCount(length: t, layout: layout))
                    scratch.pointer.update(repeating: .nan, count: scratch.count)
                    CausalAttention.forwardInference(out: out.pointer, scratch: scratch.pointer, qkv: qkv.pointer,
                                                     batch: batch, length: t, layout: layout, causal: causal)
                    var worst: Float = 0
                    for i in 0..<out.count { worst = max(worst, abs(out[i] - expected[i])) }
                    XCTAssertLessThan(worst, 1e-5, "t \(t), causal \(causal), \(layout.heads)/\(layout.kvHeads) heads")
                }
            }
        }
    }

    /// The causal mask holds inside a block: changing a later token changes nothing before it.
    func testALaterTokenDoesNotReachEarlierPositions() throws {
        let model = try GPT2Model(config: GPT2Config(vocabularySize: 50, maxPositions: 160, layers: 2, heads: 2, channels: 16))
        model.initializeRandomly(seed: 3)
        var rng = RandomSource(seed: 4)
        var tokens = (0..<150).map { _ in Int32(rng.next() % 50) }
        let before = try model.forward(tokens: tokens, batch: 1, length: 150).buffer.array
        tokens[100] = (tokens[100] + 1) % 50
        let after = try model.forward(tokens: tokens, batch: 1, length: 150).buffer.array
        XCTAssertEqual(Array(before[0..<(100 * 50)]), Array(after[0..<(100 * 50)]))
        XCTAssertNotEqual(Array(before[(100 * 50)...]), Array(after[(100 * 50)...]))
    }

    /// Mean cross-entropy of the inference logits equals the training pass's loss (all weights one), and the
    /// rows-only head gives the same logits as the full pass.
    func assertInferenceMatchesTraining(_ model: any LanguageModel, length t: Int, batch: Int,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = RandomSource(seed: 9)
        let v = model.vocabularySize, n = batch * t
        let tokens = (0..<n).map { _ in Int32(rng.next() % UInt64(v)) }
        let targets = (0..<n).map { _ in Int32(rng.next() % UInt64(v)) }
        let logits = try model.forward(tokens: tokens, batch: batch, length: t)
        let full = logits.buffer.array
        let losses = TokenBatch.losses(logits, targets: targets)
        let inferenceLoss = losses.reduce(0, +) / Float(n)
        model.parameters.ensureGradients()
        let trainingLoss = try model.accumulateGradients(tokens: tokens, targets: targets,
                                                         weights: [Float](repeating: 1, count: n), batch: batch, length: t)
        XCTAssertEqual(inferenceLoss, trainingLoss, accuracy: 1e-5 * abs(trainingLoss), file: file, line: line)
        let rows = [0, t - 1, n - 1, t + 3]
        let picked = try model.forward(tokens: tokens, batch: batch, length: t, rows: rows).buffer.array
        for (i, r) in rows.enumerated() {
            for j in 0..<v {
                XCTAssertEqual(picked[i * v + j], full[r * v + j], accuracy: 1e-4, file: file, line: line)
            }
        }
    }

    func testGPT2InferenceMatchesTheTrainingPass() throws {
        let model = try GPT2Model(config: GPT2Config(vocabularySize: 70, maxPositions: 200, layers: 2, heads: 4, channels: 32))
        model.initializeRandomly(seed: 1)
        try assertInferenceMatchesTraining(model, length: 2 * CausalAttention.blockRows + 9, batch: 2)
    }

    func testLlamaInferenceMatchesTheTrainingPass() throws {
        var config = LlamaConfig(vocabularySize: 61, hiddenSize: 32, intermediateSize: 48, layers: 2, heads: 4,
                                 kvHeads: 2, maxPositions: 200, tiedEmbeddings: false)
        config.initializerRange = 0.3
        let model = try LlamaModel(config: config)
        model.initializeRandomly(seed: 5)
        try assertInferenceMatchesTraining(model, length: 2 * CausalAttention.blockRows + 9, batch: 2)
    }

    func testBertInferenceMatchesTheTrainingPass() throws {
        let config = BertConfig(vocabularySize: 67, hiddenSize: 32, layers: 2, heads: 4, intermediateSize: 48,
                                maxPositions: 200, initializerRange: 0.3)
        let model = try BertModel(config: config)
        model.initializeRandomly(seed: 6)
        try assertInferenceMatchesTraining(model, length: 2 * CausalAttention.blockRows + 9, batch: 2)
    }

    /// The vectorised exact GELU and its derivative against `erf` in double precision, over the range a block's
    /// pre-activations take and beyond (where Φ saturates).
    func testExactGELUFollowsErf() {
        let xs = stride(from: -12.0, through: 12.0, by: 0.0007).map { Float($0) } + [0, -0, 1e-20, -1e-20]
        let n = xs.count
        let out = FloatBuffer(count: n), grad = FloatBuffer(count: n), ones = FloatBuffer(count: n)
        ones.pointer.update(repeating: 1, count: n)
        xs.withUnsafeBufferPointer { x in
            guard let base = x.baseAddress else { return }
            ExactGELU.forward(out: out.pointer, input: base, count: n)
            ExactGELU.backward(dinput: grad.pointer, input: base, dout: ones.pointer, count: n)
        }
        var worstValue = 0.0, worstSlope = 0.0
        for (i, xf) in xs.enumerated() {
            let x = Double(xf)
            let cdf = 0.5 * (1 + erf(x / 2.0.squareRoot()))
            let value = x * cdf, slope = cdf + x * Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            worstValue = max(worstValue, abs(Double(out[i]) - value) / max(1, abs(x)))
            worstSlope = max(worstSlope, abs(Double(grad[i]) - slope) / max(1, abs(x)))
        }
        XCTAssertLessThan(worstValue, 3e-7)
        XCTAssertLessThan(worstSlope, 3e-7)
        XCTAssertEqual(out[n - 4], 0)
    }
}
