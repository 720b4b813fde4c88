/// Everything the GPT-2 forward pass keeps for the backward pass, for one batch shape (B·T rows),
/// plus the gradient scratch buffers, allocated once and reused across steps.
final class GPT2Activations {
    let rows: Int
    let batch: Int
    let length: Int
    let encoded, ln1, ln1Mean, ln1Rstd, qkv, probs, atty, residual2, ln2, ln2Mean, ln2Rstd: FloatBuffer
    let fch, fchGelu, residual3, lnf, lnfMean, lnfRstd, logits, losses: FloatBuffer
    let c, inner, heads, layers: Int
    // Gradient scratch (allocated on the first backward pass).
    private(set) var grad: GPT2GradientScratch?

    init(config: GPT2Config, batch: Int, length: Int) {
        let n = batch * length
        rows = n
        self.batch = batch
        self.length = length
        c = config.channels
        inner = config.innerChannels
        heads = config.heads
        layers = config.layers
        let l = config.layers
        encoded = FloatBuffer(count: n * c)
        ln1 = FloatBuffer(count: l * n * c)
        ln1Mean = FloatBuffer(count: l * n)
        ln1Rstd = FloatBuffer(count: l * n)
        qkv = FloatBuffer(count: l * n * 3 * c)
        probs = FloatBuffer(count: l * batch * heads * length * length)
        atty = FloatBuffer(count: l * n * c)
        residual2 = FloatBuffer(count: l * n * c)
        ln2 = FloatBuffer(count: l * n * c)
        ln2Mean = FloatBuffer(count: l * n)
        ln2Rstd = FloatBuffer(count: l * n)
        fch = FloatBuffer(count: l * n * inner)
        fchGelu = FloatBuffer(count: l * n * inner)
        residual3 = FloatBuffer(count: l * n * c)
        lnf = FloatBuffer(count: n * c)
        lnfMean = FloatBuffer(count: n)
        lnfRstd = FloatBuffer(count: n)
        logits = FloatBuffer(count: n * config.vocabularySize)
        losses = FloatBuffer(count: n)
    }

    func gradientScratch() -> GPT2GradientScratch {
        if let g = grad { return g }
        let g = GPT2GradientScratch(rows: rows, channels: c, inner: inner,
                                    attention: batch * heads * length * length)
        grad = g
        return g
    }

    // Per-layer views.
    @inline(__always) func ln1(_ l: Int) -> UnsafeMutablePointer<Float> { ln1.pointer + l * rows * c }
    @inline(__always) func ln1Mean(_ l: Int) -> UnsafeMutablePointer<Float> { ln1Mean.pointer + l * rows }
    @inline(__always) func ln1Rstd(_ l: Int) -> UnsafeMutablePointer<Float> { ln1Rstd.pointer + l * rows }
    @inline(__always) func qkv(_ l: Int) -> UnsafeMutablePointer<Float> { qkv.pointer + l * rows * 3 * c }
    @inline(__always) func probs(_ l: Int) -> UnsafeMutablePointer<Float> {
        probs.pointer + l * batch * heads * length * length
    }
    @inline(__always) func atty(_ l: Int) -> UnsafeMutablePointer<Float> { atty.pointer + l * rows * c }
    @inline(__always) func residual2(_ l: Int) -> UnsafeMutablePointer<Float> { residual2.pointer + l * rows * c }
    @inline(__always) func ln2(_ l: Int) -> UnsafeMutablePointer<Float> { ln2.pointer + l * rows * c }
    @inline(__always) func ln2Mean(_ l: Int) -> UnsafeMutablePointer<Float> { ln2Mean.pointer + l * rows }
    @inline(__always) func ln2Rstd(_ l: Int) -> UnsafeMutablePointer<Float> { ln2Rstd.pointer + l * rows }
    @inline(__always) func fch(_ l: Int) -> UnsafeMutablePointer<Float> { fch.pointer + l * rows * inner }
    @inline(__always) func fchGelu(_ l: Int) -> UnsafeMutablePointer<Float> { fchGelu.pointer + l * rows * inner }
    @inline(__always) func residual3(_ l: Int) -> UnsafeMutablePointer<Float> { residual3.pointer + l * rows * c }
    /// The input of block `l`: the embeddings for block 0, the previous block's output otherwise.
    @inline(__always) func blockInput(_ l: Int) -> UnsafeMutablePointer<Float> {
        l == 0 ? encoded.pointer : residual3(l - 1)
    }
}

/// Buffers for activation gradients during the backward pass (reused for every block).
final class GPT2GradientScratch {
    let residual, ln, atty, qkv, inner, innerGelu, attention: FloatBuffer

    init(rows: Int, channels c: Int, inner: Int, attention: Int) {
        residual = FloatBuffer(count: rows * c)
        ln = FloatBuffer(count: rows * c)
        atty = FloatBuffer(count: rows * c)
        qkv = FloatBuffer(count: rows * 3 * c)
        self.inner = FloatBuffer(count: rows * inner)
        innerGelu = FloatBuffer(count: rows * inner)
        self.attention = FloatBuffer(count: attention)
    }
}
