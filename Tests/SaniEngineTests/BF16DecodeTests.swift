import Foundation
import XCTest
@testable import SaniEngine

/// bf16 decode weights: the rounding, the product kernel against a double-precision reference, GPT-2 and Llama
/// decoding with bf16 weights against fp32, and the copies following every change of the weights.
final class BF16DecodeTests: XCTestCase {
    // MARK: - Rounding

    func testRoundingToNearestEvenOnEdgeValues() {
        func r(_ bits: UInt32) -> UInt16 { BFloat16.round(Float(bitPattern: bits)) }
        // Values bf16 holds exactly are kept.
        XCTAssertEqual(BFloat16.round(1), 0x3F80)
        XCTAssertEqual(BFloat16.round(-2.5), 0xC020)
        XCTAssertEqual(BFloat16.round(0), 0x0000)
        XCTAssertEqual(BFloat16.round(-0.0), 0x8000)
        // Below, above and exactly at half of the last kept bit; ties go to the even neighbour.
        XCTAssertEqual(r(0x3F80_7FFF), 0x3F80)
        XCTAssertEqual(r(0x3F80_8001), 0x3F81)
        XCTAssertEqual(r(0x3F80_8000), 0x3F80, "tie, kept half even: down")
        XCTAssertEqual(r(0x3F81_8000), 0x3F82, "tie, kept half odd: up")
        XCTAssertEqual(r(0xBF81_8000), 0xBF82, "negative tie rounds away from zero to the even neighbour")
        XCTAssertEqual(r(0xBF80_8000), 0xBF80)
        XCTAssertEqual(r(0xC0FF_FFFF), 0xC100, "a carry into the exponent")
        // 1 + 2⁻⁸ is a tie between 1 and 1 + 2⁻⁷; 1 + 3·2⁻⁸ a tie between 1 + 2⁻⁷ and 1 + 2⁻⁶.
        XCTAssertEqual(BFloat16.rounded(1 + 0.00390625), 1)
        XCTAssertEqual(BFloat16.rounded(1 + 3 * 0.00390625), 1 + 2 * 0.0078125)
        // Large values: the largest bf16 (0x7F7F) stays; beyond its half-way point to 2¹²⁸ becomes infinity.
        XCTAssertEqual(r(0x7F7F_0000), 0x7F7F)
        XCTAssertEqual(r(0x7F7F_7FFF), 0x7F7F)
        XCTAssertEqual(r(0x7F7F_8000), 0x7F80, "tie with an odd kept half rounds up to infinity")
        XCTAssertEqual(BFloat16.round(.greatestFiniteMagnitude), 0x7F80)
        XCTAssertEqual(BFloat16.round(-.greatestFiniteMagnitude), 0xFF80)
        XCTAssertEqual(BFloat16.round(.infinity), 0x7F80)
        XCTAssertEqual(BFloat16.round(-.infinity), 0xFF80)
        // Subnormals round like any value.
        XCTAssertEqual(r(0x0000_0001), 0x0000)
        XCTAssertEqual(r(0x0000_8000), 0x0000)
        XCTAssertEqual(r(0x0001_8000), 0x0002)
        XCTAssertEqual(r(0x8000_8001), 0x8001)
        // NaNs stay NaNs, including a signalling NaN whose payload lies only in the dropped half.
        for bits: UInt32 in [0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF] {
            XCTAssertTrue(BFloat16.float(r(bits)).isNaN, String(bits, radix: 16))
        }
        XCTAssertEqual(BFloat16.float(0x3F80), 1)
        XCTAssertEqual(BFloat16.float(0xC020), -2.5)
    }

    /// Against an independent rounding: the nearer of the two bf16 neighbours, measured in double, ties to the
    /// even one.
    func testRoundingMatchesNearestNeighbourOnRandomValues() {
        var rng = RandomSource(seed: 7)
        for _ in 0..<20_000 {
            let bits = UInt32(truncatingIfNeeded: rng.next())
            let x = Float(bitPattern: bits)
            guard x.isFinite, abs(x) < Float(bitPattern: 0x7F7F_0000) else { continue }
            let down = UInt16(bits >> 16), up = down + 1
            let dd = abs(Double(x) - Double(BFloat16.float(down))), du = abs(Double(x) - Double(BFloat16.float(up)))
            let expected: UInt16 = dd < du ? down : du < dd ? up : (down & 1 == 0 ? down : up)
            XCTAssertEqual(BFloat16.round(x), expected, String(bits, radix: 16))
        }
    }

    // MARK: - Kernel

    /// The kernel's products equal the double-precision products of the bf16-rounded weights within the worst-case
    /// bound of its fp32 summation: each of the 8 lanes sums inputs/8 products, then the lanes, the leftover
    /// inputs, the bias and the accumulated value are added: at most (inputs/8 + 20) roundings of relative size
    /// 2⁻²⁴, each on at most Σ|terms|.
    func testKernelMatchesDoubleProductOfRoundedWeights() {
        // Both builds of the products: the portable one, and the AVX2/FMA one when this CPU runs it.
        let saved = BF16Matrix.usesAVX2
        defer { BF16Matrix.usesAVX2 = saved }
        for avx2 in BF16Matrix.hostHasAVX2 ? [false, true] : [false] {
            BF16Matrix.usesAVX2 = avx2
            checkKernelAgainstDoubleProducts()
        }
    }

    func checkKernelAgainstDoubleProducts() {
        var rng = RandomSource(seed: 3)
        // Odd sizes (leftover inputs, leftover outputs) and one large enough to be split across threads.
        for (ic, oc) in [(37, 23), (8, 4), (1, 1), (203, 331), (768, 2304)] {
            for layout in [WeightLayout.inputMajor, .outputMajor] {
                let w = FloatBuffer(count: ic * oc), bias = FloatBuffer(count: oc)
                rng.fillNormal(w.pointer, ic * oc, std: 0.5)
                rng.fillNormal(bias.pointer, oc, std: 1)
                let m = BF16Matrix(weight: w.pointer, inputs: ic, outputs: oc, layout: layout)
                func source(_ i: Int, _ o: Int) -> Float { layout == .inputMajor ? w[i * oc + o] : w[o * ic + i] }
                for i in stride(from: 0, to: ic, by: max(1, ic / 7)) {
                    for o in stride(from: 0, to: oc, by: max(1, oc / 7)) {
                        XCTAssertEqual(m.weight(input: i, output: o), BFloat16.rounded(source(i, o)))
                    }
                }
                for rows in 1...BF16Matrix.maximumRows {
                    for (useBias, accumulate) in [(false, false), (true, false), (true, true)] {
                        let x = FloatBuffer(count: rows * ic), out = FloatBuffer(count: rows * oc)
                        rng.fillNormal(x.pointer, rows * ic, std: 1)
                        rng.fillNormal(out.pointer, rows * oc, std: 1)
                        let prior = out.array
                        m.forward(out: out.pointer, input: x.pointer, bias: useBias ? bias.pointer : nil, rows: rows,
                                  accumulate: accumulate)
                        var worst = 0.0
                        for r in 0..<rows {
                            for o in 0..<oc {
                                var exact = 0.0, magnitude = 0.0
                                for i in 0..<ic {
                                    let t = Double(BFloat16.rounded(source(i, o))) * Double(x[r * ic + i])
                                    exact += t
                                    magnitude += abs(t)
                                }
                                if useBias { exact += Double(bias[o]); magnitude += abs(Double(bias[o])) }
                                if accumulate { exact += Double(prior[r * oc + o]); magnitude += abs(Double(prior[r * oc + o])) }
                                let bound = Double(ic / 8 + 20) * 0x1p-24 * magnitude
                                let err = abs(Double(out[r * oc + o]) - exact)
                                worst = max(worst, err / bound)
                                if err > bound {
                                    XCTFail("AVX2 \(BF16Matrix.usesAVX2) \(ic)×\(oc) \(layout) rows \(rows) bias \(useBias) acc \(accumulate): output [\(r), \(o)] off by \(err), bound \(bound)")
                                    return
                                }
                            }
                        }
                        XCTAssertLessThanOrEqual(worst, 1)
                    }
                }
            }
        }
    }

    func testAVX2ProductsRunOnThisMachine() throws {
        #if arch(x86_64) && os(Linux)
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        if flags.contains(" avx2") && flags.contains(" fma") { XCTAssertTrue(BF16Matrix.hostHasAVX2) }
        #endif
        XCTAssertEqual(BF16Matrix.usesAVX2, BF16Matrix.hostHasAVX2)
    }

    // MARK: - Models

    func gpt2() throws -> GPT2Model { try TinyDecoderModels.gpt2() }

    func llama() throws -> LlamaModel { try TinyDecoderModels.llama() }

    func generateFixture() throws -> (prompts: [[Int32]], continuations: [[Int32]]) {
        let j = try ReferenceFixtures.json(ReferenceFixtures.gpt2Tiny.appendingPathComponent("generate.json"))
        return (try ReferenceFixtures.ints(j["prompts"]), try ReferenceFixtures.ints(j["continuations"]))
    }

    /// Every position's logits, decoding `tokens` one at a time (batch-1 calls: the bf16 path when asked for).
    func stepwiseLogits(_ model: any IncrementalDecoder, _ tokens: [Int32]) throws -> [Float] {
        let cache = model.makeCache(sequences: 1, capacity: tokens.count)
        var all: [Float] = []
        for (t, token) in tokens.enumerated() {
            all += Array(try model.decode([DecodeRow(sequence: 0, position: t, token: token)], cache: cache).row(0))
        }
        return all
    }

    /// Rounds the named tensors of `parameters` to bf16 in place.
    func roundInPlace(_ parameters: ParameterSet, _ names: [String]) {
        for name in names {
            guard let spec = parameters.spec(name) else { return XCTFail("no tensor \(name)") }
            let p = parameters.pointer(name)
            for i in 0..<spec.count { p[i] = BFloat16.rounded(p[i]) }
        }
    }

    /// Names of the matrices the bf16 path reads (blocks and head).
    func gpt2Matrices(_ model: GPT2Model) -> [String] {
        ["transformer.wte.weight"] + (0..<model.config.layers).flatMap { l in
            ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"].map { "transformer.h.\(l).\($0)" }
        }
    }

    func llamaMatrices(_ model: LlamaModel) -> [String] {
        ["lm_head.weight"] + (0..<model.config.layers).flatMap { l in
            ["self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
             "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"].map { "model.layers.\(l).\($0)" }
        }
    }

    /// Checks one family: `original` decoded in fp32, `bf16` (the same weights) through the bf16 copies and
    /// `rounded` (its matrices rounded to bf16 values) in fp32.
    ///
    /// 1. The bf16 path computes the model whose matrices are rounded to bf16: against `rounded` in fp32 it
    ///    differs only by the order of its fp32 sums, so the logits agree to 1e-5 (relative, and of the largest).
    /// 2. Hence its distance to the fp32 model is the one rounding the weights causes, nothing more: at most that
    ///    of `rounded` to `original` plus the same 1e-5 of the largest logit; and it is not zero (the path ran).
    /// 3. That distance is small: bf16 keeps 8 significant bits (relative error ≤ 2⁻⁹ per weight) and each product
    ///    on the way to a logit (three or four a block, and the head) adds at most that fraction of its Σ|w·x|;
    ///    with the tiny models' ten-odd products we allow 16 · 2⁻⁹ (3 %) of the largest |logit|.
    /// 4. Greedy tokens are those of the fp32 model.
    func checkAgainstFP32(original: any IncrementalDecoder, bf16: any IncrementalDecoder, rounded: any IncrementalDecoder,
                          prompts: [[Int32]], newTokens: Int, _ family: String) throws {
        bf16.decodePrecision = .bfloat16
        for (i, prompt) in prompts.enumerated() {
            let greedy = try Generator.generate(original, prompts: [prompt], maxNewTokens: newTokens)[0].tokens
            XCTAssertEqual(try Generator.generate(bf16, prompts: [prompt], maxNewTokens: newTokens)[0].tokens, greedy,
                           "\(family) prompt \(i): greedy tokens with bf16 weights")
            let tokens = prompt + greedy
            let exact = try stepwiseLogits(original, tokens), got = try stepwiseLogits(bf16, tokens)
            let reference = try stepwiseLogits(rounded, tokens)
            assertClose(got, reference, rtol: 1e-5, atolFraction: 1e-5, "\(family) prompt \(i): bf16 path against fp32 on rounded weights")
            let scale = exact.map { abs($0) }.max() ?? 0
            let moved = zip(got, exact).map { abs($0 - $1) }.max() ?? 0
            let byRounding = zip(reference, exact).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(moved, byRounding + 1e-5 * scale, "\(family) prompt \(i)")
            XCTAssertGreaterThan(moved, 0, "\(family) prompt \(i): the bf16 path was not taken")
            XCTAssertLessThanOrEqual(moved, 16 * 0x1p-9 * scale, "\(family) prompt \(i): logits moved by \(moved) (largest \(scale))")
            print("\(family) prompt \(i): bf16 logits within \(moved / scale) of the largest fp32 logit")
        }
    }

    func testGPT2BF16DecodeAgainstFP32() throws {
        let (prompts, continuations) = try generateFixture()
        let original = try gpt2(), bf16 = try gpt2(), rounded = try gpt2()
        // The tied embedding is also the head; the bf16 path reads its rows (the embedding) in fp32, so for the
        // comparison with `rounded` it is made of bf16 values in all three models first.
        for m in [original, bf16, rounded] { roundInPlace(m.parameters, ["transformer.wte.weight"]) }
        roundInPlace(rounded.parameters, gpt2Matrices(rounded))
        try checkAgainstFP32(original: original, bf16: bf16, rounded: rounded, prompts: prompts, newTokens: 12, "GPT-2")
        XCTAssertGreaterThan(bf16.decodeCopyBytes, 0)

        // With the fixture's own weights: the greedy tokens of PyTorch (fp32), one prompt at a time and batched
        // (the batch's prefill runs through sgemm, its steps through bf16).
        let model = try gpt2()
        model.decodePrecision = .bfloat16
        for (i, prompt) in prompts.enumerated() {
            XCTAssertEqual(try Generator.generate(model, prompts: [prompt], maxNewTokens: 12)[0].tokens, continuations[i])
        }
        XCTAssertEqual(try Generator.generate(model, prompts: prompts, maxNewTokens: 12).map(\.tokens), continuations)
    }

    func testLlamaBF16DecodeAgainstFP32() throws {
        let original = try llama(), bf16 = try llama(), rounded = try llama()
        roundInPlace(rounded.parameters, llamaMatrices(rounded))
        var rng = RandomSource(seed: 9)
        let prompts = [1, 4, 7].map { n in (0..<n).map { _ in Int32(rng.next() % 61) } }
        try checkAgainstFP32(original: original, bf16: bf16, rounded: rounded, prompts: prompts, newTokens: 10, "Llama")
    }

    func testDefaultIsFP32AndSettingItBackFreesTheCopies() throws {
        let model = try gpt2(), reference = try gpt2()
        XCTAssertEqual(model.decodePrecision, .float32)
        let tokens: [Int32] = [16, 82, 4, 28, 80]
        let before = try stepwiseLogits(model, tokens)
        XCTAssertEqual(model.decodeCopyBytes, 0)
        model.decodePrecision = .bfloat16
        _ = try stepwiseLogits(model, tokens)
        XCTAssertGreaterThan(model.decodeCopyBytes, 0)
        model.decodePrecision = .float32
        XCTAssertEqual(model.decodeCopyBytes, 0)
        XCTAssertEqual(try stepwiseLogits(model, tokens), before)
        XCTAssertEqual(try stepwiseLogits(reference, tokens), before)
    }

    // MARK: - Invalidation

    /// bf16 logits of `model` against those of a fresh model holding the same fp32 values (whose copies are
    /// necessarily new).
    func assertCopiesCurrent(_ model: GPT2Model, _ tokens: [Int32], _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) throws -> [Float] {
        let fresh = try gpt2()
        fresh.parameters.values.copy(from: model.parameters.values)
        fresh.decodePrecision = .bfloat16
        let got = try stepwiseLogits(model, tokens), expected = try stepwiseLogits(fresh, tokens)
        let off = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertTrue(got == expected, "\(what): bf16 logits are not those of the current weights (off by up to \(off))",
                      file: file, line: line)
        return got
    }

    func testBF16CopiesFollowEveryChangeOfTheWeights() throws {
        let model = try gpt2()
        model.decodePrecision = .bfloat16
        let tokens: [Int32] = [44, 15, 99, 29, 94, 31]
        let original = try stepwiseLogits(model, tokens)
        let saved = model.parameters.values.clone()

        // An AdamW step (the repair, the relearning attack).
        model.parameters.ensureGradients()
        model.parameters.zeroGradients()
        _ = try model.accumulateGradients(tokens: Array(tokens.dropLast()), targets: Array(tokens.dropFirst()),
                                          weights: [Float](repeating: 1, count: tokens.count - 1), batch: 1,
                                          length: tokens.count - 1)
        AdamW(parameters: model.parameters).update(learningRate: 0.05)
        let trained = try assertCopiesCurrent(model, tokens, "after an AdamW step")
        XCTAssertTrue(trained != original, "the step changed nothing")

        // Values put back with copy(from:) (the relearning attack's restore, the best checkpoint).
        model.parameters.values.copy(from: saved)
        XCTAssertTrue(try assertCopiesCurrent(model, tokens, "after copy(from:)") == original)

        // A neuron reset (the erase phase) and a restore from a base model.
        var rng = RandomSource(seed: 4)
        for i in 0..<8 { model.resetNeuron(block: 1, index: i, rng: &rng) }
        XCTAssertTrue(try assertCopiesCurrent(model, tokens, "after resetNeuron") != original)
        for i in 0..<8 { model.restoreNeuron(block: 1, index: i, from: saved.asParameters(like: model.parameters)) }
        XCTAssertTrue(try assertCopiesCurrent(model, tokens, "after restoreNeuron") == original)

        // A raw write announced with markModified().
        let head = model.parameters.values.pointer + (model.parameters.spec("transformer.wte.weight")?.offset ?? 0)
        for j in 0..<model.config.channels { head[3 * model.config.channels + j] += 0.5 }
        model.parameters.markModified()
        XCTAssertTrue(try assertCopiesCurrent(model, tokens, "after a raw write and markModified()") != original)

        // Loading weights into a model that decoded with other weights.
        let loaded = try gpt2()
        loaded.parameters.values.copy(from: model.parameters.values)
        loaded.decodePrecision = .bfloat16
        XCTAssertTrue(try stepwiseLogits(loaded, tokens) != original)
        let folder = ReferenceFixtures.gpt2Tiny.appendingPathComponent("model")
        try ModelFolder.readWeights(into: loaded.parameters, from: try WeightStore(folder: folder)) {
            [$0.name, String($0.name.dropFirst("transformer.".count))]
        }
        XCTAssertTrue(try stepwiseLogits(loaded, tokens) == original, "after loading weights")
    }
}

private extension FloatBuffer {
    /// A parameter set with `like`'s layout holding these values.
    func asParameters(like like: ParameterSet) -> ParameterSet {
        let p = ParameterSet(like.specs.map { ($0.name, $0.shape, $0.decays) })
        p.values.copy(from: self)
        return p
    }
}
