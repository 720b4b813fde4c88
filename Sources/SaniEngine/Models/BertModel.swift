import Foundation

/// A BERT family masked language model (post-layer-norm encoder, exact GELU, MLM head with a transform, a
/// layer norm and the tied word-embedding decoder) with an explicit forward and backward pass.
/// Query, key and value weights (and biases) are laid out one after another so one product computes them.
public final class BertModel: @unchecked Sendable {
    public let config: BertConfig
    public let parameters: ParameterSet
    public var sourceConfig: JSONConfig?
    struct Block { let qkvW, qkvB, oW, oB, ln1w, ln1b, iW, iB, dW, dB, ln2w, ln2b: Int }
    let blocks: [Block]
    let word, position, tokenType, embLNw, embLNb, tW, tB, tLNw, tLNb, decoderBias: Int
    var cache: Activations?
    var inference: InferenceBuffers?

    static func layout(_ c: BertConfig) -> [(name: String, shape: [Int], decays: Bool)] {
        let d = c.hiddenSize, i = c.intermediateSize
        var t: [(name: String, shape: [Int], decays: Bool)] = [
            ("bert.embeddings.word_embeddings.weight", [c.vocabularySize, d], true),
            ("bert.embeddings.position_embeddings.weight", [c.maxPositions, d], true),
            ("bert.embeddings.token_type_embeddings.weight", [c.typeVocabularySize, d], true),
            ("bert.embeddings.LayerNorm.weight", [d], false), ("bert.embeddings.LayerNorm.bias", [d], false),
        ]
        for l in 0..<c.layers {
            let p = "bert.encoder.layer.\(l)."
            t += [(p + "attention.self.query.weight", [d, d], true), (p + "attention.self.key.weight", [d, d], true),
                  (p + "attention.self.value.weight", [d, d], true),
                  (p + "attention.self.query.bias", [d], false), (p + "attention.self.key.bias", [d], false),
                  (p + "attention.self.value.bias", [d], false),
                  (p + "attention.output.dense.weight", [d, d], true), (p + "attention.output.dense.bias", [d], false),
                  (p + "attention.output.LayerNorm.weight", [d], false), (p + "attention.output.LayerNorm.bias", [d], false),
                  (p + "intermediate.dense.weight", [i, d], true), (p + "intermediate.dense.bias", [i], false),
                  (p + "output.dense.weight", [d, i], true), (p + "output.dense.bias", [d], false),
                  (p + "output.LayerNorm.weight", [d], false), (p + "output.LayerNorm.bias", [d], false)]
        }
        t += [("cls.predictions.transform.dense.weight", [d, d], true), ("cls.predictions.transform.dense.bias", [d], false),
              ("cls.predictions.transform.LayerNorm.weight", [d], false), ("cls.predictions.transform.LayerNorm.bias", [d], false),
              ("cls.predictions.bias", [c.vocabularySize], false)]
        return t
    }

    public init(config: BertConfig) throws {
        try config.validate()
        self.config = config
        let parameters = ParameterSet(Self.layout(config))
        self.parameters = parameters
        let off = { (n: String) in parameters.spec(n)?.offset ?? 0 }
        blocks = (0..<config.layers).map { l in
            let p = "bert.encoder.layer.\(l)."
            return Block(qkvW: off(p + "attention.self.query.weight"), qkvB: off(p + "attention.self.query.bias"),
                         oW: off(p + "attention.output.dense.weight"), oB: off(p + "attention.output.dense.bias"),
                         ln1w: off(p + "attention.output.LayerNorm.weight"), ln1b: off(p + "attention.output.LayerNorm.bias"),
                         iW: off(p + "intermediate.dense.weight"), iB: off(p + "intermediate.dense.bias"),
                         dW: off(p + "output.dense.weight"), dB: off(p + "output.dense.bias"),
                         ln2w: off(p + "output.LayerNorm.weight"), ln2b: off(p + "output.LayerNorm.bias"))
        }
        word = off("bert.embeddings.word_embeddings.weight"); position = off("bert.embeddings.position_embeddings.weight")
        tokenType = off("bert.embeddings.token_type_embeddings.weight")
        embLNw = off("bert.embeddings.LayerNorm.weight"); embLNb = off("bert.embeddings.LayerNorm.bias")
        tW = off("cls.predictions.transform.dense.weight"); tB = off("cls.predictions.transform.dense.bias")
        tLNw = off("cls.predictions.transform.LayerNorm.weight"); tLNb = off("cls.predictions.transform.LayerNorm.bias")
        decoderBias = off("cls.predictions.bias")
    }

    /// Loads a Hugging Face BERT folder; names with or without the `bert.` prefix; the decoder is tied.
    public static func load(folder: URL) throws -> BertModel {
        let json = try JSONConfig(url: folder.appendingPathComponent("config.json"))
        let config = try BertConfig(json: json)
        let store = try WeightStore(folder: folder)
        func candidates(_ name: String) -> [String] {
            var c = [name]
            if name.hasPrefix("bert.") { c.append(String(name.dropFirst(5))) }
            if name == "cls.predictions.bias" { c.append("cls.predictions.decoder.bias") }
            return c
        }
        for t in layout(config) {
            guard let entry = candidates(t.name).lazy.compactMap({ store.entry($0) }).first else {
                throw EngineError.missingTensor(t.name)
            }
            guard entry.shape == t.shape else { throw EngineError.shapeMismatch(tensor: entry.name, expected: t.shape, found: entry.shape) }
        }
        let model = try BertModel(config: config)
        model.sourceConfig = json
        try ModelFolder.readWeights(into: model.parameters, from: store) { candidates($0.name) }
        return model
    }

    final class Activations {
        let b, t, n: Int
        let emb, embMean, embRstd, qkv, probs, atty, r1, x1, m1, s1, inter, interG, r2, x2, m2, s2: FloatBuffer
        /// The head's input, gathered from the last block's rows that the head predicts.
        let headInput, tr, trG, trLN, trMean, trRstd, logits, losses: FloatBuffer
        var g: [FloatBuffer] = []
        init(_ c: BertConfig, b: Int, t: Int) {
            self.b = b; self.t = t; n = b * t
            let d = c.hiddenSize, l = c.layers, i = c.intermediateSize
            emb = FloatBuffer(count: n * d); embMean = FloatBuffer(count: n); embRstd = FloatBuffer(count: n)
            qkv = FloatBuffer(count: l * n * 3 * d); probs = FloatBuffer(count: l * b * c.heads * t * t)
            atty = FloatBuffer(count: l * n * d); r1 = FloatBuffer(count: l * n * d); x1 = FloatBuffer(count: l * n * d)
            m1 = FloatBuffer(count: l * n); s1 = FloatBuffer(count: l * n)
            inter = FloatBuffer(count: l * n * i); interG = FloatBuffer(count: l * n * i)
            r2 = FloatBuffer(count: l * n * d); x2 = FloatBuffer(count: l * n * d)
            m2 = FloatBuffer(count: l * n); s2 = FloatBuffer(count: l * n)
            headInput = FloatBuffer(count: n * d); tr = FloatBuffer(count: n * d); trG = FloatBuffer(count: n * d); trLN = FloatBuffer(count: n * d)
            trMean = FloatBuffer(count: n); trRstd = FloatBuffer(count: n)
            logits = FloatBuffer(count: n * c.vocabularySize); losses = FloatBuffer(count: n)
        }
    }

    var attention: AttentionLayout { .packedQKV(channels: config.hiddenSize, heads: config.heads) }

    /// Logits for `tokens` with `tokenTypes` (segment ids), no padding: `[B·T, V]`, or with `rows` only those
    /// rows of `B·T`, packed in the order given (the MLM head, most of a small model's work, runs on them alone).
    /// Nothing is kept for a backward: one block's buffers serve every block, attention keeps no probabilities.
    /// The returned view stays valid until the next call on this model.
    @discardableResult
    public func forward(tokens: [Int32], tokenTypes: [Int32], batch: Int, length: Int, rows: [Int]? = nil) throws -> LogitsView {
        try checkInput(tokens: tokens, tokenTypes: tokenTypes, batch: batch, length: length, rows: rows)
        let s: InferenceBuffers
        if let i = inference { s = i } else { s = InferenceBuffers(); inference = s }
        let p = parameters.values.pointer, d = config.hiddenSize, n = batch * length, inner = config.intermediateSize
        let eps = config.layerNormEpsilon
        let x = s.buffer(0, count: n * d), r = s.buffer(1, count: n * d), qkv = s.buffer(2, count: n * 3 * d)
        let atty = s.buffer(3, count: n * d), inter = s.buffer(4, count: n * inner)
        let scores = s.buffer(5, count: CausalAttention.inferenceScratchCount(length: length, layout: attention))
        let mean = s.buffer(6, count: n), rstd = s.buffer(7, count: n)
        embed(into: r, tokens: tokens, tokenTypes: tokenTypes, batch: batch, length: length)
        LayerNorm.forward(out: x, mean: mean, rstd: rstd, input: r, weight: p + embLNw, bias: p + embLNb, rows: n,
                          channels: d, epsilon: eps)
        for o in blocks {
            Linear.forward(out: qkv, input: x, weight: p + o.qkvW, bias: p + o.qkvB, rows: n, inputs: d, outputs: 3 * d,
                           layout: .outputMajor)
            CausalAttention.forwardInference(out: atty, scratch: scores, qkv: qkv, batch: batch, length: length,
                                             layout: attention, causal: false)
            r.update(from: x, count: n * d)
            Linear.forward(out: r, input: atty, weight: p + o.oW, bias: p + o.oB, rows: n, inputs: d, outputs: d,
                           layout: .outputMajor, accumulate: true)
            LayerNorm.forward(out: x, mean: mean, rstd: rstd, input: r, weight: p + o.ln1w, bias: p + o.ln1b, rows: n,
                              channels: d, epsilon: eps)
            Linear.forward(out: inter, input: x, weight: p + o.iW, bias: p + o.iB, rows: n, inputs: d, outputs: inner,
                           layout: .outputMajor)
            ExactGELU.forward(out: inter, input: inter, count: n * inner)
            r.update(from: x, count: n * d)
            Linear.forward(out: r, input: inter, weight: p + o.dW, bias: p + o.dB, rows: n, inputs: inner, outputs: d,
                           layout: .outputMajor, accumulate: true)
            LayerNorm.forward(out: x, mean: mean, rstd: rstd, input: r, weight: p + o.ln2w, bias: p + o.ln2b, rows: n,
                              channels: d, epsilon: eps)
        }
        let headRows = rows ?? Array(0..<n)
        let m = headRows.count
        let headInput = s.buffer(8, count: max(m, 1) * d), tr = s.buffer(9, count: max(m, 1) * d)
        let logits = s.logits(count: max(m, 1) * config.vocabularySize)
        // Nothing is kept: the GELU runs in place and the layer norm writes over the gathered rows.
        head(rows: headRows, of: x, gathered: headInput, dense: tr, activated: tr, normalized: headInput, mean: mean,
             rstd: rstd, logits: logits.pointer)
        return LogitsView(buffer: logits, rows: m, vocabulary: config.vocabularySize)
    }

    private func checkInput(tokens: [Int32], tokenTypes: [Int32], batch: Int, length: Int, rows: [Int]?) throws {
        guard batch > 0, length > 0, length <= config.maxPositions, tokens.count == batch * length,
              tokenTypes.count == tokens.count else {
            throw EngineError.invalidArgument("tokens and token types must be batch × length (at most \(config.maxPositions))")
        }
        if let rows, let bad = rows.first(where: { $0 < 0 || $0 >= tokens.count }) {
            throw EngineError.invalidArgument("row \(bad) is outside the batch's \(tokens.count) positions")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
            throw EngineError.invalidArgument("token id \(bad) is outside the vocabulary (\(config.vocabularySize))")
        }
        if let bad = tokenTypes.first(where: { $0 < 0 || Int($0) >= config.typeVocabularySize }) {
            throw EngineError.invalidArgument("token type \(bad) is outside 0..<\(config.typeVocabularySize)")
        }
    }

    /// word + position + token type, before the embedding layer norm.
    private func embed(into out: UnsafeMutablePointer<Float>, tokens: [Int32], tokenTypes: [Int32], batch: Int, length: Int) {
        let p = parameters.values.pointer, d = config.hiddenSize
        tokens.withUnsafeBufferPointer { tok in
            guard let base = tok.baseAddress else { return }
            Embedding.forward(out: out, tokens: base, wte: p + word, wpe: p + position, batch: batch, length: length, channels: d)
        }
        for r in 0..<tokens.count { VectorMath.add(p + tokenType + Int(tokenTypes[r]) * d, out + r * d, d) }
    }

    /// The forward pass that keeps every block's activations for `accumulateGradients` and `mlpActivations`;
    /// the same logits as `forward`, in `cache.logits`.
    func forwardKeepingActivations(tokens: [Int32], tokenTypes: [Int32], batch: Int, length: Int, rows: [Int]? = nil) throws {
        try checkInput(tokens: tokens, tokenTypes: tokenTypes, batch: batch, length: length, rows: rows)
        let a: Activations
        if let c = cache, c.b == batch, c.t == length { a = c } else { a = Activations(config, b: batch, t: length); cache = a }
        let p = parameters.values.pointer, d = config.hiddenSize, n = a.n, inner = config.intermediateSize
        let eps = config.layerNormEpsilon
        let sum = FloatBuffer(count: n * d)
        embed(into: sum.pointer, tokens: tokens, tokenTypes: tokenTypes, batch: batch, length: length)
        LayerNorm.forward(out: a.emb.pointer, mean: a.embMean.pointer, rstd: a.embRstd.pointer, input: sum.pointer,
                          weight: p + embLNw, bias: p + embLNb, rows: n, channels: d, epsilon: eps)
        for l in 0..<config.layers {
            let o = blocks[l]
            let x = l == 0 ? a.emb.pointer : a.x2.pointer + (l - 1) * n * d
            let qkv = a.qkv.pointer + l * n * 3 * d, atty = a.atty.pointer + l * n * d
            let r1 = a.r1.pointer + l * n * d, x1 = a.x1.pointer + l * n * d
            let inter = a.inter.pointer + l * n * inner, interG = a.interG.pointer + l * n * inner
            let r2 = a.r2.pointer + l * n * d, x2 = a.x2.pointer + l * n * d
            Linear.forward(out: qkv, input: x, weight: p + o.qkvW, bias: p + o.qkvB, rows: n, inputs: d, outputs: 3 * d, layout: .outputMajor)
            CausalAttention.forward(out: atty, probs: a.probs.pointer + l * batch * config.heads * length * length, qkv: qkv,
                                    batch: batch, length: length, layout: attention, causal: false)
            r1.update(from: x, count: n * d)
            Linear.forward(out: r1, input: atty, weight: p + o.oW, bias: p + o.oB, rows: n, inputs: d, outputs: d,
                           layout: .outputMajor, accumulate: true)
            LayerNorm.forward(out: x1, mean: a.m1.pointer + l * n, rstd: a.s1.pointer + l * n, input: r1, weight: p + o.ln1w,
                              bias: p + o.ln1b, rows: n, channels: d, epsilon: eps)
            Linear.forward(out: inter, input: x1, weight: p + o.iW, bias: p + o.iB, rows: n, inputs: d, outputs: inner, layout: .outputMajor)
            ExactGELU.forward(out: interG, input: inter, count: n * inner)
            r2.update(from: x1, count: n * d)
            Linear.forward(out: r2, input: interG, weight: p + o.dW, bias: p + o.dB, rows: n, inputs: inner, outputs: d,
                           layout: .outputMajor, accumulate: true)
            LayerNorm.forward(out: x2, mean: a.m2.pointer + l * n, rstd: a.s2.pointer + l * n, input: r2, weight: p + o.ln2w,
                              bias: p + o.ln2b, rows: n, channels: d, epsilon: eps)
        }
        head(rows: rows ?? Array(0..<n), of: a.x2.pointer + (config.layers - 1) * n * d, gathered: a.headInput.pointer,
             dense: a.tr.pointer, activated: a.trG.pointer, normalized: a.trLN.pointer, mean: a.trMean.pointer,
             rstd: a.trRstd.pointer, logits: a.logits.pointer)
    }

    /// The MLM head on `rows` of the last block's output `last`: gathered, dense, GELU, layer norm, then the tied
    /// decoder into `logits` (`rows.count × V`). The training pass keeps every intermediate in a buffer of its own;
    /// the inference pass may alias them.
    private func head(rows: [Int], of last: UnsafePointer<Float>, gathered: UnsafeMutablePointer<Float>,
                      dense: UnsafeMutablePointer<Float>, activated: UnsafeMutablePointer<Float>,
                      normalized: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                      rstd: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>) {
        let p = parameters.values.pointer, d = config.hiddenSize, m = rows.count
        for (i, r) in rows.enumerated() { (gathered + i * d).update(from: last + r * d, count: d) }
        guard m > 0 else { return }
        Linear.forward(out: dense, input: gathered, weight: p + tW, bias: p + tB, rows: m, inputs: d, outputs: d,
                       layout: .outputMajor)
        ExactGELU.forward(out: activated, input: dense, count: m * d)
        LayerNorm.forward(out: normalized, mean: mean, rstd: rstd, input: activated, weight: p + tLNw, bias: p + tLNb,
                          rows: m, channels: d, epsilon: config.layerNormEpsilon)
        Linear.forward(out: logits, input: normalized, weight: p + word, bias: p + decoderBias, rows: m, inputs: d,
                       outputs: config.vocabularySize, layout: .outputMajor)
    }

    /// Forward, weighted cross-entropy over the positions with weight > 0 (the masked targets), backward;
    /// gradients are added to `parameters.gradients`.
    public func accumulateGradients(tokens: [Int32], tokenTypes: [Int32], targets: [Int32], weights: [Float],
                                    forget: ForgetTerms? = nil, batch: Int, length: Int) throws -> Float {
        guard targets.count == batch * length, weights.count == batch * length else {
            throw EngineError.invalidArgument("targets and weights must be batch × length")
        }
        try forget?.check(count: batch * length)
        if let bad = targets.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
            throw EngineError.invalidArgument("target id \(bad) is outside the vocabulary")
        }
        // Only the positions with a weight reach the loss: the head runs on them alone.
        let targeted = weights.indices.filter { weights[$0] > 0 || (forget?.weights[$0] ?? 0) > 0 }
        try forwardKeepingActivations(tokens: tokens, tokenTypes: tokenTypes, batch: batch, length: length, rows: targeted)
        guard let a = cache, !targeted.isEmpty else { return 0 }
        parameters.ensureGradients()
        guard let grads = parameters.gradients else { return 0 }
        let m = targeted.count
        let loss = TokenBatch.lossAndGradient(logits: a.logits, losses: a.losses, targets: targeted.map { targets[$0] },
                                              weights: targeted.map { weights[$0] },
                                              forget: forget?.selecting(targeted), rows: m,
                                              vocabulary: config.vocabularySize)
        let p = parameters.values.pointer, g = grads.pointer, d = config.hiddenSize, n = a.n, inner = config.intermediateSize
        let dx = FloatBuffer(count: n * d), dtmp = FloatBuffer(count: n * d), dr = FloatBuffer(count: n * d)
        let dqkv = FloatBuffer(count: n * 3 * d), datty = FloatBuffer(count: n * d)
        let dinter = FloatBuffer(count: n * inner), dinterG = FloatBuffer(count: n * inner)
        let scratch = FloatBuffer(count: batch * config.heads * length * length)
        // Head, on the m targeted rows: logits = LN(gelu(dense(x))) · wordᵀ + bias.
        Linear.backward(dinput: dtmp.pointer, dweight: g + word, dbias: g + decoderBias, dout: a.logits.pointer,
                        input: a.trLN.pointer, weight: p + word, rows: m, inputs: d, outputs: config.vocabularySize,
                        layout: .outputMajor, overwriteInput: true)
        dr.zero()
        LayerNorm.backward(dinput: dr.pointer, dweight: g + tLNw, dbias: g + tLNb, dout: dtmp.pointer, input: a.trG.pointer,
                           weight: p + tLNw, mean: a.trMean.pointer, rstd: a.trRstd.pointer, rows: m, channels: d)
        ExactGELU.backward(dinput: dtmp.pointer, input: a.tr.pointer, dout: dr.pointer, count: m * d)
        Linear.backward(dinput: dr.pointer, dweight: g + tW, dbias: g + tB, dout: dtmp.pointer, input: a.headInput.pointer,
                        weight: p + tW, rows: m, inputs: d, outputs: d, layout: .outputMajor, overwriteInput: true)
        // Back to every row of the last block: the rows the head did not read get no gradient from it.
        dx.zero()
        for (i, r) in targeted.enumerated() { (dx.pointer + r * d).update(from: dr.pointer + i * d, count: d) }
        for l in stride(from: config.layers - 1, through: 0, by: -1) {
            let o = blocks[l]
            let x = l == 0 ? a.emb.pointer : a.x2.pointer + (l - 1) * n * d
            // x2 = LN2(r2), r2 = x1 + dense(gelu(inter(x1)))
            dr.zero()
            LayerNorm.backward(dinput: dr.pointer, dweight: g + o.ln2w, dbias: g + o.ln2b, dout: dx.pointer,
                               input: a.r2.pointer + l * n * d, weight: p + o.ln2w, mean: a.m2.pointer + l * n,
                               rstd: a.s2.pointer + l * n, rows: n, channels: d)
            Linear.backward(dinput: dinterG.pointer, dweight: g + o.dW, dbias: g + o.dB, dout: dr.pointer,
                            input: a.interG.pointer + l * n * inner, weight: p + o.dW, rows: n, inputs: inner, outputs: d,
                            layout: .outputMajor, overwriteInput: true)
            ExactGELU.backward(dinput: dinter.pointer, input: a.inter.pointer + l * n * inner, dout: dinterG.pointer, count: n * inner)
            dx.copy(from: dr)   // the residual path to x1
            Linear.backward(dinput: dx.pointer, dweight: g + o.iW, dbias: g + o.iB, dout: dinter.pointer,
                            input: a.x1.pointer + l * n * d, weight: p + o.iW, rows: n, inputs: d, outputs: inner,
                            layout: .outputMajor)
            // x1 = LN1(r1), r1 = x + o(attention(qkv(x)))
            dr.zero()
            LayerNorm.backward(dinput: dr.pointer, dweight: g + o.ln1w, dbias: g + o.ln1b, dout: dx.pointer,
                               input: a.r1.pointer + l * n * d, weight: p + o.ln1w, mean: a.m1.pointer + l * n,
                               rstd: a.s1.pointer + l * n, rows: n, channels: d)
            Linear.backward(dinput: datty.pointer, dweight: g + o.oW, dbias: g + o.oB, dout: dr.pointer,
                            input: a.atty.pointer + l * n * d, weight: p + o.oW, rows: n, inputs: d, outputs: d,
                            layout: .outputMajor, overwriteInput: true)
            CausalAttention.backward(dqkv: dqkv.pointer, scratch: scratch.pointer, dout: datty.pointer,
                                     qkv: a.qkv.pointer + l * n * 3 * d,
                                     probs: a.probs.pointer + l * batch * config.heads * length * length,
                                     batch: batch, length: length, layout: attention, causal: false)
            dx.copy(from: dr)   // the residual path to x
            Linear.backward(dinput: dx.pointer, dweight: g + o.qkvW, dbias: g + o.qkvB, dout: dqkv.pointer, input: x,
                            weight: p + o.qkvW, rows: n, inputs: d, outputs: 3 * d, layout: .outputMajor)
        }
        // Embeddings: emb = LN(word + position + type).
        dr.zero()
        var sum = [Float](repeating: 0, count: n * d)
        tokens.withUnsafeBufferPointer { tok in
            guard let base = tok.baseAddress else { return }
            sum.withUnsafeMutableBufferPointer { s in
                guard let sp = s.baseAddress else { return }
                Embedding.forward(out: sp, tokens: base, wte: p + word, wpe: p + position, batch: batch, length: length, channels: d)
                for r in 0..<n { VectorMath.add(p + tokenType + Int(tokenTypes[r]) * d, sp + r * d, d) }
                LayerNorm.backward(dinput: dr.pointer, dweight: g + embLNw, dbias: g + embLNb, dout: dx.pointer, input: sp,
                                   weight: p + embLNw, mean: a.embMean.pointer, rstd: a.embRstd.pointer, rows: n, channels: d)
            }
            Embedding.backward(dwte: g + word, dwpe: g + position, dout: dr.pointer, tokens: base, batch: batch,
                               length: length, channels: d)
        }
        for r in 0..<n { VectorMath.add(dr.pointer + r * d, g + tokenType + Int(tokenTypes[r]) * d, d) }
        return loss
    }
}
