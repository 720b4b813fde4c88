/// A GPT-2 family causal language model: parameters plus an explicit forward and backward pass
/// (one readable pass per layer, the way llm.c lays it out), checked against PyTorch fixtures.
public final class GPT2Model: @unchecked Sendable {
    public let config: GPT2Config
    public let parameters: ParameterSet
    let blocks: [GPT2BlockOffsets]
    let wte: Int, wpe: Int, lnfw: Int, lnfb: Int
    private var activations: GPT2Activations?
    private var inference: InferenceBuffers?
    /// The `config.json` the model was loaded from, so that a save keeps fields sani does not use.
    public var sourceConfig: JSONConfig?
    /// Precision of the weights the decode path reads (`IncrementalDecoder.decodePrecision`).
    public var decodePrecision: DecodePrecision = .float32 {
        didSet { if decodePrecision == .float32 { bf16Weights.drop() } }
    }
    let bf16Weights = BF16DecodeWeights()
    public var decodeCopyBytes: Int { bf16Weights.byteCount }

    /// A model with all parameters zero; load or initialise them afterwards.
    public init(config: GPT2Config) throws {
        try config.validate()
        self.config = config
        parameters = ParameterSet(GPT2Parameters.layout(config))
        blocks = GPT2Parameters.blockOffsets(parameters, layers: config.layers)
        let p = GPT2Parameters.prefix
        wte = parameters.spec("\(p)wte.weight")?.offset ?? 0
        wpe = parameters.spec("\(p)wpe.weight")?.offset ?? 0
        lnfw = parameters.spec("\(p)ln_f.weight")?.offset ?? 0
        lnfb = parameters.spec("\(p)ln_f.bias")?.offset ?? 0
    }

    /// GPT-2's own initialisation: weights normal(0, 0.02), residual projections scaled by 1/√(2·layers),
    /// biases zero, layer norms one / zero.
    public func initializeRandomly(seed: UInt64) {
        defer { parameters.markModified() }
        var rng = RandomSource(seed: seed)
        let residualStd = 0.02 / Float(2 * config.layers).squareRoot()
        for spec in parameters.specs {
            let p = parameters.values.pointer + spec.offset
            if spec.name.hasSuffix("ln_1.weight") || spec.name.hasSuffix("ln_2.weight")
                || spec.name.hasSuffix("ln_f.weight") {
                p.update(repeating: 1, count: spec.count)
            } else if spec.shape.count == 1 {
                p.update(repeating: 0, count: spec.count)
            } else {
                let std: Float = spec.name.hasSuffix("c_proj.weight") ? residualStd : 0.02
                rng.fillNormal(p, spec.count, std: std)
            }
        }
    }

    // MARK: - Forward

    private func prepare(batch: Int, length: Int) throws -> GPT2Activations {
        try checkShape(batch: batch, length: length)
        if let a = activations, a.batch == batch, a.length == length { return a }
        activations = nil
        let a = GPT2Activations(config: config, batch: batch, length: length)
        activations = a
        return a
    }

    /// Runs the model on `batch × length` token ids (row-major) and returns the logits `[B·T, V]`.
    /// The returned view stays valid until the next call on this model.
    @discardableResult
    public func forward(tokens: [Int32], batch: Int, length: Int) throws -> LogitsView {
        try TokenBatch.check(tokens, count: batch * length, vocabulary: config.vocabularySize, what: "tokens")
        try checkShape(batch: batch, length: length)
        let s = inferenceBuffers()
        let n = batch * length
        guard let normalized = tokens.withUnsafeBufferPointer({ buffer in
            buffer.baseAddress.map { runInference(s, tokens: $0, batch: batch, length: length) }
        }) else { throw EngineError.invalidArgument("no tokens") }
        let logits = s.logits(count: n * config.vocabularySize)
        Linear.forward(out: logits.pointer, input: normalized, weight: parameters.values.pointer + wte, bias: nil,
                       rows: n, inputs: config.channels, outputs: config.vocabularySize, layout: .outputMajor)
        return LogitsView(buffer: logits, rows: n, vocabulary: config.vocabularySize)
    }

    /// Logits of `rows` only, packed in the order given: the blocks run on every position, the head (the largest
    /// product of a small model: channels × vocabulary a row) on the rows asked for.
    public func forward(tokens: [Int32], batch: Int, length: Int, rows: [Int]) throws -> LogitsView {
        try TokenBatch.check(tokens, count: batch * length, vocabulary: config.vocabularySize, what: "tokens")
        try checkShape(batch: batch, length: length)
        try TokenBatch.checkRows(rows, of: batch * length)
        let s = inferenceBuffers()
        guard let normalized = tokens.withUnsafeBufferPointer({ buffer in
            buffer.baseAddress.map { runInference(s, tokens: $0, batch: batch, length: length) }
        }) else { throw EngineError.invalidArgument("no tokens") }
        return TokenBatch.head(rows: rows, normalized: normalized, channels: config.channels,
                               weight: parameters.values.pointer + wte, vocabulary: config.vocabularySize)
    }

    /// Runs every block on `batch × length` tokens keeping their activations (`mlpActivations` reads them), with
    /// no head.
    public func forwardForInspection(tokens: [Int32], batch: Int, length: Int) throws {
        try TokenBatch.check(tokens, count: batch * length, vocabulary: config.vocabularySize, what: "tokens")
        let a = try prepare(batch: batch, length: length)
        tokens.withUnsafeBufferPointer { if let base = $0.baseAddress { runForward(a, tokens: base, head: false) } }
    }

    private func checkShape(batch: Int, length: Int) throws {
        guard batch > 0, length > 0 else { throw EngineError.invalidArgument("batch and length must be positive") }
        guard length <= config.maxPositions else {
            throw EngineError.invalidArgument("sequence length \(length) exceeds the model's \(config.maxPositions) positions")
        }
    }

    private func inferenceBuffers() -> InferenceBuffers {
        if let s = inference { return s }
        let s = InferenceBuffers()
        inference = s
        return s
    }

    /// The forward pass with nothing kept for a backward: one block's buffers reused by every block, attention
    /// through `CausalAttention.forwardInference`. Returns the final layer norm's output, `[B·T, C]`.
    private func runInference(_ s: InferenceBuffers, tokens: UnsafePointer<Int32>, batch: Int, length: Int)
        -> UnsafeMutablePointer<Float> {
        let p = parameters.values.pointer
        let n = batch * length, c = config.channels, inner = config.innerChannels, eps = config.layerNormEpsilon
        let layout = AttentionLayout.packedQKV(channels: c, heads: config.heads)
        let x = s.buffer(0, count: n * c), ln = s.buffer(1, count: n * c), qkv = s.buffer(2, count: n * 3 * c)
        let atty = s.buffer(3, count: n * c), fc = s.buffer(4, count: n * inner)
        let scores = s.buffer(5, count: CausalAttention.inferenceScratchCount(length: length, layout: layout))
        let mean = s.buffer(6, count: n), rstd = s.buffer(7, count: n)
        Embedding.forward(out: x, tokens: tokens, wte: p + wte, wpe: p + wpe, batch: batch, length: length, channels: c)
        for o in blocks {
            LayerNorm.forward(out: ln, mean: mean, rstd: rstd, input: x, weight: p + o.ln1w, bias: p + o.ln1b,
                              rows: n, channels: c, epsilon: eps)
            Linear.forward(out: qkv, input: ln, weight: p + o.attnW, bias: p + o.attnB, rows: n, inputs: c,
                           outputs: 3 * c, layout: .inputMajor)
            CausalAttention.forwardInference(out: atty, scratch: scores, qkv: qkv, batch: batch, length: length,
                                             layout: layout)
            Linear.forward(out: x, input: atty, weight: p + o.projW, bias: p + o.projB, rows: n, inputs: c,
                           outputs: c, layout: .inputMajor, accumulate: true)
            LayerNorm.forward(out: ln, mean: mean, rstd: rstd, input: x, weight: p + o.ln2w, bias: p + o.ln2b,
                              rows: n, channels: c, epsilon: eps)
            Linear.forward(out: fc, input: ln, weight: p + o.fcW, bias: p + o.fcB, rows: n, inputs: c,
                           outputs: inner, layout: .inputMajor)
            GELU.forward(out: fc, input: fc, count: n * inner)
            Linear.forward(out: x, input: fc, weight: p + o.fcProjW, bias: p + o.fcProjB, rows: n, inputs: inner,
                           outputs: c, layout: .inputMajor, accumulate: true)
        }
        LayerNorm.forward(out: ln, mean: mean, rstd: rstd, input: x, weight: p + lnfw, bias: p + lnfb, rows: n,
                          channels: c, epsilon: eps)
        return ln
    }

    private func runForward(_ a: GPT2Activations, tokens: UnsafePointer<Int32>, head: Bool = true) {
        let p = parameters.values.pointer
        let n = a.rows, c = config.channels, inner = config.innerChannels, eps = config.layerNormEpsilon
        Embedding.forward(out: a.encoded.pointer, tokens: tokens, wte: p + wte, wpe: p + wpe,
                          batch: a.batch, length: a.length, channels: c)
        for l in 0..<config.layers {
            let o = blocks[l]
            let input = a.blockInput(l)
            LayerNorm.forward(out: a.ln1(l), mean: a.ln1Mean(l), rstd: a.ln1Rstd(l), input: input,
                              weight: p + o.ln1w, bias: p + o.ln1b, rows: n, channels: c, epsilon: eps)
            Linear.forward(out: a.qkv(l), input: a.ln1(l), weight: p + o.attnW, bias: p + o.attnB,
                           rows: n, inputs: c, outputs: 3 * c, layout: .inputMajor)
            CausalAttention.forward(out: a.atty(l), probs: a.probs(l), qkv: a.qkv(l), batch: a.batch,
                                    length: a.length, layout: .packedQKV(channels: c, heads: config.heads))
            a.residual2(l).update(from: input, count: n * c)
            Linear.forward(out: a.residual2(l), input: a.atty(l), weight: p + o.projW, bias: p + o.projB,
                           rows: n, inputs: c, outputs: c, layout: .inputMajor, accumulate: true)
            LayerNorm.forward(out: a.ln2(l), mean: a.ln2Mean(l), rstd: a.ln2Rstd(l), input: a.residual2(l),
                              weight: p + o.ln2w, bias: p + o.ln2b, rows: n, channels: c, epsilon: eps)
            Linear.forward(out: a.fch(l), input: a.ln2(l), weight: p + o.fcW, bias: p + o.fcB,
                           rows: n, inputs: c, outputs: inner, layout: .inputMajor)
            GELU.forward(out: a.fchGelu(l), input: a.fch(l), count: n * inner)
            a.residual3(l).update(from: a.residual2(l), count: n * c)
            Linear.forward(out: a.residual3(l), input: a.fchGelu(l), weight: p + o.fcProjW, bias: p + o.fcProjB,
                           rows: n, inputs: inner, outputs: c, layout: .inputMajor, accumulate: true)
        }
        LayerNorm.forward(out: a.lnf.pointer, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer,
                          input: a.residual3(config.layers - 1), weight: p + lnfw, bias: p + lnfb,
                          rows: n, channels: c, epsilon: eps)
        guard head else { return }
        Linear.forward(out: a.logits.pointer, input: a.lnf.pointer, weight: p + wte, bias: nil,
                       rows: n, inputs: c, outputs: config.vocabularySize, layout: .outputMajor)
    }

    /// Per-position cross-entropy of the model's predictions against `targets` (no gradient).
    public func losses(tokens: [Int32], targets: [Int32], batch: Int, length: Int) throws -> [Float] {
        try TokenBatch.check(targets, count: batch * length, vocabulary: config.vocabularySize, what: "targets")
        return TokenBatch.losses(try forward(tokens: tokens, batch: batch, length: length), targets: targets)
    }

    // MARK: - Training

    /// Forward, weighted cross-entropy (`Σ w·ce / Σ w`), and backward: gradients are *added* to
    /// `parameters.gradients` (allocated on first use). Returns the loss.
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

    private func runBackward(_ a: GPT2Activations, tokens: UnsafePointer<Int32>) {
        guard let gradients = parameters.gradients else { return }
        let p = parameters.values.pointer, g = gradients.pointer
        let s = a.gradientScratch()
        let n = a.rows, c = config.channels, inner = config.innerChannels
        let dres = s.residual.pointer
        // Logits = lnf · wteᵀ (the tied head).
        Linear.backward(dinput: s.ln.pointer, dweight: g + wte, dbias: nil, dout: a.logits.pointer,
                        input: a.lnf.pointer, weight: p + wte, rows: n, inputs: c,
                        outputs: config.vocabularySize, layout: .outputMajor, overwriteInput: true)
        dres.update(repeating: 0, count: n * c)
        LayerNorm.backward(dinput: dres, dweight: g + lnfw, dbias: g + lnfb, dout: s.ln.pointer,
                           input: a.residual3(config.layers - 1), weight: p + lnfw,
                           mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer, rows: n, channels: c)
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            let o = blocks[l]
            // residual3 = residual2 + fcproj(gelu(fc(ln2(residual2))))
            Linear.backward(dinput: s.innerGelu.pointer, dweight: g + o.fcProjW, dbias: g + o.fcProjB,
                            dout: dres, input: a.fchGelu(l), weight: p + o.fcProjW, rows: n, inputs: inner,
                            outputs: c, layout: .inputMajor, overwriteInput: true)
            GELU.backward(dinput: s.inner.pointer, input: a.fch(l), dout: s.innerGelu.pointer, count: n * inner)
            Linear.backward(dinput: s.ln.pointer, dweight: g + o.fcW, dbias: g + o.fcB, dout: s.inner.pointer,
                            input: a.ln2(l), weight: p + o.fcW, rows: n, inputs: c, outputs: inner,
                            layout: .inputMajor, overwriteInput: true)
            LayerNorm.backward(dinput: dres, dweight: g + o.ln2w, dbias: g + o.ln2b, dout: s.ln.pointer,
                               input: a.residual2(l), weight: p + o.ln2w, mean: a.ln2Mean(l), rstd: a.ln2Rstd(l),
                               rows: n, channels: c)
            // residual2 = input + proj(attention(qkv(ln1(input))))
            Linear.backward(dinput: s.atty.pointer, dweight: g + o.projW, dbias: g + o.projB, dout: dres,
                            input: a.atty(l), weight: p + o.projW, rows: n, inputs: c, outputs: c,
                            layout: .inputMajor, overwriteInput: true)
            CausalAttention.backward(dqkv: s.qkv.pointer, scratch: s.attention.pointer, dout: s.atty.pointer,
                                     qkv: a.qkv(l), probs: a.probs(l), batch: a.batch, length: a.length,
                                     layout: .packedQKV(channels: c, heads: config.heads))
            Linear.backward(dinput: s.ln.pointer, dweight: g + o.attnW, dbias: g + o.attnB, dout: s.qkv.pointer,
                            input: a.ln1(l), weight: p + o.attnW, rows: n, inputs: c, outputs: 3 * c,
                            layout: .inputMajor, overwriteInput: true)
            LayerNorm.backward(dinput: dres, dweight: g + o.ln1w, dbias: g + o.ln1b, dout: s.ln.pointer,
                               input: a.blockInput(l), weight: p + o.ln1w, mean: a.ln1Mean(l), rstd: a.ln1Rstd(l),
                               rows: n, channels: c)
        }
        Embedding.backward(dwte: g + wte, dwpe: g + wpe, dout: dres, tokens: tokens,
                           batch: a.batch, length: a.length, channels: c)
    }

    /// Activations of the last forward pass, for inspection (neuron statistics).
    var activationsForInspection: GPT2Activations? { activations }

    /// Releases the activation buffers (they are rebuilt on the next call).
    public func releaseActivations() { activations = nil; inference = nil }
}

/// Logits of a forward pass: `rows × vocabulary` floats, valid until the model runs again.
public struct LogitsView: @unchecked Sendable {
    public let buffer: FloatBuffer
    public let rows: Int
    public let vocabulary: Int

    /// Cross-entropy of each row against its target (`targets.count == rows`).
    public func losses(targets: [Int32]) -> [Float] { TokenBatch.losses(self, targets: targets) }

    /// A copy of row `r`.
    public func row(_ r: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: buffer.pointer + r * vocabulary, count: vocabulary))
    }

    /// Calls `body` with row `r` in place (no copy); the view keeps the buffer alive during the call.
    public func withRow<T>(_ r: Int, _ body: (UnsafeBufferPointer<Float>) throws -> T) rethrows -> T {
        try withExtendedLifetime(buffer) {
            try body(UnsafeBufferPointer(start: buffer.pointer + r * vocabulary, count: vocabulary))
        }
    }

    /// Index of the largest logit in row `r` (first one on ties).
    public func argmax(_ r: Int) -> Int {
        let x = buffer.pointer + r * vocabulary
        var best = 0
        var bestValue = x[0]
        for i in 1..<vocabulary where x[i] > bestValue { best = i; bestValue = x[i] }
        return best
    }
}
