import Foundation

/// Offsets of one Llama block's tensors in the flat parameter buffer. `q_proj`, `k_proj`, `v_proj` are laid out
/// one after another, and so are `gate_proj` and `up_proj`, so each group is one `[out, in]` matrix: one
/// product computes all of it.
struct LlamaBlockOffsets {
    let norm1, qkv, o, norm2, gateUp, down: Int
}

/// A Llama family causal language model (RMSNorm, rotary embeddings, SwiGLU MLP, grouped-query attention, tied
/// or untied embeddings) with an explicit forward and backward pass, checked against PyTorch fixtures.
public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfig
    public let parameters: ParameterSet
    public var sourceConfig: JSONConfig?
    let blocks: [LlamaBlockOffsets]
    let embed: Int, normF: Int, head: Int
    let rope: RotaryEmbedding
    var activations: LlamaActivations?
    private var inference: InferenceBuffers?
    /// Precision of the weights the decode path reads (`IncrementalDecoder.decodePrecision`).
    public var decodePrecision: DecodePrecision = .float32 {
        didSet { if decodePrecision == .float32 { bf16Weights.drop() } }
    }
    let bf16Weights = BF16DecodeWeights()
    public var decodeCopyBytes: Int { bf16Weights.byteCount }

    static func layout(_ c: LlamaConfig) -> [(name: String, shape: [Int], decays: Bool)] {
        let d = c.hiddenSize, q = c.heads * c.headSize, kv = c.kvHeads * c.headSize, i = c.intermediateSize
        var t: [(name: String, shape: [Int], decays: Bool)] = [("model.embed_tokens.weight", [c.vocabularySize, d], true)]
        for l in 0..<c.layers {
            let p = "model.layers.\(l)."
            t += [(p + "input_layernorm.weight", [d], false),
                  (p + "self_attn.q_proj.weight", [q, d], true), (p + "self_attn.k_proj.weight", [kv, d], true),
                  (p + "self_attn.v_proj.weight", [kv, d], true), (p + "self_attn.o_proj.weight", [d, q], true),
                  (p + "post_attention_layernorm.weight", [d], false),
                  (p + "mlp.gate_proj.weight", [i, d], true), (p + "mlp.up_proj.weight", [i, d], true),
                  (p + "mlp.down_proj.weight", [d, i], true)]
        }
        t.append(("model.norm.weight", [d], false))
        if !c.tiedEmbeddings { t.append(("lm_head.weight", [c.vocabularySize, d], true)) }
        return t
    }

    public init(config: LlamaConfig) throws {
        try config.validate()
        self.config = config
        let parameters = ParameterSet(Self.layout(config))
        self.parameters = parameters
        let off = { (name: String) in parameters.spec(name)?.offset ?? 0 }
        blocks = (0..<config.layers).map { l in
            let p = "model.layers.\(l)."
            return LlamaBlockOffsets(norm1: off(p + "input_layernorm.weight"), qkv: off(p + "self_attn.q_proj.weight"),
                                     o: off(p + "self_attn.o_proj.weight"), norm2: off(p + "post_attention_layernorm.weight"),
                                     gateUp: off(p + "mlp.gate_proj.weight"), down: off(p + "mlp.down_proj.weight"))
        }
        embed = off("model.embed_tokens.weight")
        normF = off("model.norm.weight")
        head = config.tiedEmbeddings ? embed : off("lm_head.weight")
        rope = RotaryEmbedding(headSize: config.headSize, theta: config.ropeTheta)
    }

    /// Llama's initialisation: every matrix normal(0, initializer_range), norms one.
    public func initializeRandomly(seed: UInt64) {
        defer { parameters.markModified() }
        var rng = RandomSource(seed: seed)
        for spec in parameters.specs {
            let p = parameters.values.pointer + spec.offset
            if spec.shape.count == 1 { p.update(repeating: 1, count: spec.count) } else {
                rng.fillNormal(p, spec.count, std: config.initializerRange)
            }
        }
    }

    var attentionLayout: AttentionLayout {
        .grouped(heads: config.heads, kvHeads: config.kvHeads, headSize: config.headSize)
    }

    private func prepare(batch: Int, length: Int) throws -> LlamaActivations {
        guard batch > 0, length > 0 else { throw EngineError.invalidArgument("batch and length must be positive") }
        guard length <= config.maxPositions else {
            throw EngineError.invalidArgument("sequence length \(length) exceeds the model's \(config.maxPositions) positions")
        }
        if let a = activations, a.batch == batch, a.length == length { return a }
        activations = nil
        let a = LlamaActivations(config: config, batch: batch, length: length)
        activations = a
        return a
    }

    @discardableResult
    public func forward(tokens: [Int32], batch: Int, length: Int) throws -> LogitsView {
        try TokenBatch.check(tokens, count: batch * length, vocabulary: config.vocabularySize, what: "tokens")
        let normalized = try infer(tokens: tokens, batch: batch, length: length)
        let n = batch * length
        let logits = inferenceBuffers().logits(count: n * config.vocabularySize)
        Linear.forward(out: logits.pointer, input: normalized, weight: parameters.values.pointer + head, bias: nil,
                       rows: n, inputs: config.hiddenSize, outputs: config.vocabularySize, layout: .outputMajor)
        return LogitsView(buffer: logits, rows: n, vocabulary: config.vocabularySize)
    }

    /// Logits of `rows` only, packed in the order given: the head runs on the rows asked for.
    public func forward(tokens: [Int32], batch: Int, length: Int, rows: [Int]) throws -> LogitsView {
        try TokenBatch.check(tokens, count: batch * length, vocabulary: config.vocabularySize, what: "tokens")
        try TokenBatch.checkRows(rows, of: batch * length)
        let normalized = try infer(tokens: tokens, batch: batch, length: length)
        return TokenBatch.head(rows: rows, normalized: normalized, channels: config.hiddenSize,
                               weight: parameters.values.pointer + head, vocabulary: config.vocabularySize)
    }

    /// Runs every block on `batch × length` tokens keeping their activations (`mlpActivations` reads them), with
    /// no head.
    public func forwardForInspection(tokens: [Int32], batch: Int, length: Int) throws {
        try TokenBatch.check(tokens, count: batch * length, vocabulary: config.vocabularySize, what: "tokens")
        let a = try prepare(batch: batch, length: length)
        tokens.withUnsafeBufferPointer { if let base = $0.baseAddress { runForward(a, tokens: base, head: false) } }
    }

    private func inferenceBuffers() -> InferenceBuffers {
        if let s = inference { return s }
        let s = InferenceBuffers()
        inference = s
        return s
    }

    /// The forward pass with nothing kept for a backward: one block's buffers reused by every block, attention
    /// through `CausalAttention.forwardInference`. Returns the final norm's output, `[B·T, hidden]`.
    private func infer(tokens: [Int32], batch: Int, length t: Int) throws -> UnsafeMutablePointer<Float> {
        guard batch > 0, t > 0 else { throw EngineError.invalidArgument("batch and length must be positive") }
        guard t <= config.maxPositions else {
            throw EngineError.invalidArgument("sequence length \(t) exceeds the model's \(config.maxPositions) positions")
        }
        let s = inferenceBuffers()
        let p = parameters.values.pointer
        let n = batch * t, c = config.hiddenSize, inner = config.intermediateSize, eps = config.rmsNormEpsilon
        let layout = attentionLayout, w = layout.rowStride, aw = layout.outputWidth
        let x = s.buffer(0, count: n * c), norm = s.buffer(1, count: n * c), qkv = s.buffer(2, count: n * w)
        let atty = s.buffer(3, count: n * aw), gateUp = s.buffer(4, count: n * 2 * inner)
        let mlp = s.buffer(5, count: n * inner), rstd = s.buffer(6, count: n)
        let scores = s.buffer(7, count: CausalAttention.inferenceScratchCount(length: t, layout: layout))
        try tokens.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { throw EngineError.invalidArgument("no tokens") }
            Embedding.forward(out: x, tokens: base, wte: p + embed, wpe: nil, batch: batch, length: t, channels: c)
        }
        for o in blocks {
            RMSNorm.forward(out: norm, rstd: rstd, input: x, weight: p + o.norm1, rows: n, channels: c, epsilon: eps)
            Linear.forward(out: qkv, input: norm, weight: p + o.qkv, bias: nil, rows: n, inputs: c, outputs: w,
                           layout: .outputMajor)
            rope.apply(qkv + layout.queryOffset, stride: w, heads: config.heads, rows: n, position: { $0 % t })
            rope.apply(qkv + layout.keyOffset, stride: w, heads: config.kvHeads, rows: n, position: { $0 % t })
            CausalAttention.forwardInference(out: atty, scratch: scores, qkv: qkv, batch: batch, length: t,
                                             layout: layout)
            Linear.forward(out: x, input: atty, weight: p + o.o, bias: nil, rows: n, inputs: aw, outputs: c,
                           layout: .outputMajor, accumulate: true)
            RMSNorm.forward(out: norm, rstd: rstd, input: x, weight: p + o.norm2, rows: n, channels: c, epsilon: eps)
            Linear.forward(out: gateUp, input: norm, weight: p + o.gateUp, bias: nil, rows: n, inputs: c,
                           outputs: 2 * inner, layout: .outputMajor)
            SwiGLU.forward(out: mlp, gateUp: gateUp, rows: n, inner: inner)
            Linear.forward(out: x, input: mlp, weight: p + o.down, bias: nil, rows: n, inputs: inner, outputs: c,
                           layout: .outputMajor, accumulate: true)
        }
        RMSNorm.forward(out: norm, rstd: rstd, input: x, weight: p + normF, rows: n, channels: c, epsilon: eps)
        return norm
    }

    private func runForward(_ a: LlamaActivations, tokens: UnsafePointer<Int32>, head computesHead: Bool = true) {
        let p = parameters.values.pointer
        let n = a.rows, c = config.hiddenSize, inner = config.intermediateSize, eps = config.rmsNormEpsilon
        let w = a.qkvWidth, aw = a.attnWidth, layout = attentionLayout, t = a.length
        Embedding.forward(out: a.encoded.pointer, tokens: tokens, wte: p + embed, wpe: nil,
                          batch: a.batch, length: a.length, channels: c)
        for l in 0..<config.layers {
            let o = blocks[l], x = a.blockInput(l)
            let norm1 = a.at(a.norm1, l, c), qkv = a.at(a.qkv, l, w), atty = a.at(a.atty, l, aw)
            let res2 = a.at(a.residual2, l, c), norm2 = a.at(a.norm2, l, c)
            let gateUp = a.at(a.gateUp, l, 2 * inner), mlp = a.at(a.mlp, l, inner), res3 = a.at(a.residual3, l, c)
            RMSNorm.forward(out: norm1, rstd: a.normRstd1.pointer + l * n, input: x, weight: p + o.norm1,
                            rows: n, channels: c, epsilon: eps)
            Linear.forward(out: qkv, input: norm1, weight: p + o.qkv, bias: nil, rows: n, inputs: c, outputs: w,
                           layout: .outputMajor)
            rope.apply(qkv + layout.queryOffset, stride: w, heads: config.heads, rows: n, position: { $0 % t })
            rope.apply(qkv + layout.keyOffset, stride: w, heads: config.kvHeads, rows: n, position: { $0 % t })
            CausalAttention.forward(out: atty, probs: a.probs(l), qkv: qkv, batch: a.batch, length: t, layout: layout)
            res2.update(from: x, count: n * c)
            Linear.forward(out: res2, input: atty, weight: p + o.o, bias: nil, rows: n, inputs: aw, outputs: c,
                           layout: .outputMajor, accumulate: true)
            RMSNorm.forward(out: norm2, rstd: a.normRstd2.pointer + l * n, input: res2, weight: p + o.norm2,
                            rows: n, channels: c, epsilon: eps)
            Linear.forward(out: gateUp, input: norm2, weight: p + o.gateUp, bias: nil, rows: n, inputs: c,
                           outputs: 2 * inner, layout: .outputMajor)
            SwiGLU.forward(out: mlp, gateUp: gateUp, rows: n, inner: inner)
            res3.update(from: res2, count: n * c)
            Linear.forward(out: res3, input: mlp, weight: p + o.down, bias: nil, rows: n, inputs: inner, outputs: c,
                           layout: .outputMajor, accumulate: true)
        }
        RMSNorm.forward(out: a.normF.pointer, rstd: a.normRstdF.pointer, input: a.at(a.residual3, config.layers - 1, c),
                        weight: p + normF, rows: n, channels: c, epsilon: eps)
        guard computesHead else { return }
        Linear.forward(out: a.logits.pointer, input: a.normF.pointer, weight: p + head, bias: nil, rows: n, inputs: c,
                       outputs: config.vocabularySize, layout: .outputMajor)
    }

    public func losses(tokens: [Int32], targets: [Int32], batch: Int, length: Int) throws -> [Float] {
        try TokenBatch.check(targets, count: batch * length, vocabulary: config.vocabularySize, what: "targets")
        return TokenBatch.losses(try forward(tokens: tokens, batch: batch, length: length), targets: targets)
    }

    public func accumulateGradients(tokens: [Int32], targets: [Int32], weights: [Float],
                                    batch: Int, length: Int) throws -> Float {
        try accumulateGradients(tokens: tokens, targets: targets, weights: weights, forget: nil, batch: batch,
                                length: length)
    }

    /// The same with a targeted-forgetting term on some positions (`ForgetTerms`).
    public func accumulateGradients(tokens: [Int32], targets: [Int32], weights: [Float], forget: ForgetTerms?,
                                    batch: Int, length: Int) throws -> Float {
        try TokenBatch.check(targets, count: batch * length, vocabulary: config.vocabularySize, what: "targets")
        guard weights.count == batch * length else {
            throw EngineError.invalidArgument("weights has \(weights.count) values, expected \(batch * length)")
        }
        try forget?.check(count: batch * length)
        try TokenBatch.check(tokens, count: batch * length, vocabulary: config.vocabularySize, what: "tokens")
        let a = try prepare(batch: batch, length: length)
        tokens.withUnsafeBufferPointer { if let base = $0.baseAddress { runForward(a, tokens: base) } }
        parameters.ensureGradients()
        let loss = TokenBatch.lossAndGradient(logits: a.logits, losses: a.losses, targets: targets, weights: weights,
                                              forget: forget, rows: a.rows, vocabulary: config.vocabularySize)
        tokens.withUnsafeBufferPointer { if let base = $0.baseAddress { runBackward(a, tokens: base) } }
        return loss
    }

    private func runBackward(_ a: LlamaActivations, tokens: UnsafePointer<Int32>) {
        guard let gradients = parameters.gradients else { return }
        let p = parameters.values.pointer, g = gradients.pointer
        let s = a.gradientScratch()
        let n = a.rows, c = config.hiddenSize, inner = config.intermediateSize
        let w = a.qkvWidth, aw = a.attnWidth, layout = attentionLayout, t = a.length
        let dres = s.residual.pointer
        Linear.backward(dinput: s.norm.pointer, dweight: g + head, dbias: nil, dout: a.logits.pointer,
                        input: a.normF.pointer, weight: p + head, rows: n, inputs: c,
                        outputs: config.vocabularySize, layout: .outputMajor, overwriteInput: true)
        dres.update(repeating: 0, count: n * c)
        RMSNorm.backward(dinput: dres, dweight: g + normF, dout: s.norm.pointer,
                         input: a.at(a.residual3, config.layers - 1, c), weight: p + normF,
                         rstd: a.normRstdF.pointer, rows: n, channels: c)
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            let o = blocks[l], x = a.blockInput(l)
            // residual3 = residual2 + down(swiglu(gateUp(norm2(residual2))))
            Linear.backward(dinput: s.mlp.pointer, dweight: g + o.down, dbias: nil, dout: dres,
                            input: a.at(a.mlp, l, inner), weight: p + o.down, rows: n, inputs: inner, outputs: c,
                            layout: .outputMajor, overwriteInput: true)
            SwiGLU.backward(dgateUp: s.gateUp.pointer, gateUp: a.at(a.gateUp, l, 2 * inner), dout: s.mlp.pointer,
                            rows: n, inner: inner)
            Linear.backward(dinput: s.norm.pointer, dweight: g + o.gateUp, dbias: nil, dout: s.gateUp.pointer,
                            input: a.at(a.norm2, l, c), weight: p + o.gateUp, rows: n, inputs: c, outputs: 2 * inner,
                            layout: .outputMajor, overwriteInput: true)
            RMSNorm.backward(dinput: dres, dweight: g + o.norm2, dout: s.norm.pointer, input: a.at(a.residual2, l, c),
                             weight: p + o.norm2, rstd: a.normRstd2.pointer + l * n, rows: n, channels: c)
            // residual2 = x + o(attention(rope(qkv(norm1(x)))))
            Linear.backward(dinput: s.atty.pointer, dweight: g + o.o, dbias: nil, dout: dres,
                            input: a.at(a.atty, l, aw), weight: p + o.o, rows: n, inputs: aw, outputs: c,
                            layout: .outputMajor, overwriteInput: true)
            CausalAttention.backward(dqkv: s.qkv.pointer, scratch: s.attention.pointer, dout: s.atty.pointer,
                                     qkv: a.at(a.qkv, l, w), probs: a.probs(l), batch: a.batch, length: t, layout: layout)
            rope.apply(s.qkv.pointer + layout.queryOffset, stride: w, heads: config.heads, rows: n,
                       position: { $0 % t }, inverse: true)
            rope.apply(s.qkv.pointer + layout.keyOffset, stride: w, heads: config.kvHeads, rows: n,
                       position: { $0 % t }, inverse: true)
            Linear.backward(dinput: s.norm.pointer, dweight: g + o.qkv, dbias: nil, dout: s.qkv.pointer,
                            input: a.at(a.norm1, l, c), weight: p + o.qkv, rows: n, inputs: c, outputs: w,
                            layout: .outputMajor, overwriteInput: true)
            RMSNorm.backward(dinput: dres, dweight: g + o.norm1, dout: s.norm.pointer, input: x, weight: p + o.norm1,
                             rstd: a.normRstd1.pointer + l * n, rows: n, channels: c)
        }
        Embedding.backward(dwte: g + embed, dwpe: nil, dout: dres, tokens: tokens, batch: a.batch, length: a.length,
                           channels: c)
    }

    public func releaseActivations() { activations = nil; inference = nil }
}
