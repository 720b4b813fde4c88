/// What the Llama forward pass keeps for the backward pass, for one batch shape, plus gradient scratch.
final class LlamaActivations {
    let rows, batch, length, c, qkvWidth, attnWidth, inner, heads: Int
    let normRstd1, norm1, qkv, probs, atty, residual2, normRstd2, norm2, gateUp, mlp, residual3: FloatBuffer
    let normRstdF, normF, logits, losses: FloatBuffer
    let encoded: FloatBuffer
    private(set) var grad: LlamaGradientScratch?

    init(config: LlamaConfig, batch: Int, length: Int) {
        let n = batch * length, l = config.layers
        rows = n; self.batch = batch; self.length = length
        c = config.hiddenSize
        qkvWidth = (config.heads + 2 * config.kvHeads) * config.headSize
        attnWidth = config.heads * config.headSize
        inner = config.intermediateSize
        heads = config.heads
        encoded = FloatBuffer(count: n * c)
        normRstd1 = FloatBuffer(count: l * n); norm1 = FloatBuffer(count: l * n * c)
        qkv = FloatBuffer(count: l * n * qkvWidth)
        probs = FloatBuffer(count: l * batch * heads * length * length)
        atty = FloatBuffer(count: l * n * attnWidth)
        residual2 = FloatBuffer(count: l * n * c)
        normRstd2 = FloatBuffer(count: l * n); norm2 = FloatBuffer(count: l * n * c)
        gateUp = FloatBuffer(count: l * n * 2 * inner)
        mlp = FloatBuffer(count: l * n * inner)
        residual3 = FloatBuffer(count: l * n * c)
        normRstdF = FloatBuffer(count: n); normF = FloatBuffer(count: n * c)
        logits = FloatBuffer(count: n * config.vocabularySize)
        losses = FloatBuffer(count: n)
    }

    func gradientScratch() -> LlamaGradientScratch {
        if let g = grad { return g }
        let g = LlamaGradientScratch(rows: rows, channels: c, qkvWidth: qkvWidth, attnWidth: attnWidth, inner: inner,
                                     attention: batch * heads * length * length)
        grad = g
        return g
    }

    @inline(__always) func at(_ b: FloatBuffer, _ l: Int, _ width: Int) -> UnsafeMutablePointer<Float> {
        b.pointer + l * rows * width
    }
    @inline(__always) func blockInput(_ l: Int) -> UnsafeMutablePointer<Float> {
        l == 0 ? encoded.pointer : at(residual3, l - 1, c)
    }
    @inline(__always) func probs(_ l: Int) -> UnsafeMutablePointer<Float> {
        probs.pointer + l * batch * heads * length * length
    }
}

final class LlamaGradientScratch {
    let residual, norm, atty, qkv, gateUp, mlp, attention: FloatBuffer
    init(rows: Int, channels c: Int, qkvWidth: Int, attnWidth: Int, inner: Int, attention: Int) {
        residual = FloatBuffer(count: rows * c)
        norm = FloatBuffer(count: rows * c)
        atty = FloatBuffer(count: rows * attnWidth)
        qkv = FloatBuffer(count: rows * qkvWidth)
        gateUp = FloatBuffer(count: rows * 2 * inner)
        mlp = FloatBuffer(count: rows * inner)
        self.attention = FloatBuffer(count: attention)
    }
}
