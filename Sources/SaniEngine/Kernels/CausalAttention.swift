/// Where queries, keys and values sit in a packed per-row buffer, and how query heads share key/value heads.
public struct AttentionLayout: Sendable, Equatable {
    /// Floats per row of the packed buffer.
    public let rowStride: Int
    public let queryOffset: Int
    public let keyOffset: Int
    public let valueOffset: Int
    public let heads: Int
    /// Key/value heads; query head `h` uses key/value head `h / (heads / kvHeads)` (grouped-query attention).
    public let kvHeads: Int
    public let headSize: Int

    /// GPT-2: `[q | k | v]`, each `C` wide, as many key/value heads as query heads.
    public static func packedQKV(channels c: Int, heads: Int) -> AttentionLayout {
        AttentionLayout(rowStride: 3 * c, queryOffset: 0, keyOffset: c, valueOffset: 2 * c, heads: heads,
                        kvHeads: heads, headSize: c / heads)
    }

    /// Llama: `[q (heads·hs) | k (kvHeads·hs) | v (kvHeads·hs)]`.
    public static func grouped(heads: Int, kvHeads: Int, headSize: Int) -> AttentionLayout {
        AttentionLayout(rowStride: (heads + 2 * kvHeads) * headSize, queryOffset: 0, keyOffset: heads * headSize,
                        valueOffset: (heads + kvHeads) * headSize, heads: heads, kvHeads: kvHeads, headSize: headSize)
    }

    public var outputWidth: Int { heads * headSize }
    @inline(__always) func kvHead(_ h: Int) -> Int { h / (heads / kvHeads) }
}

/// Causal multi-head self-attention over a packed query/key/value buffer. The score products go through BLAS
/// per (batch, head); the softmax is threaded over rows.
public enum CausalAttention {
    /// `probs` receives the `[B, heads, T, T]` attention probabilities, `out` the `[B, T, heads·hs]` head outputs.
    /// With causal masking the query rows go in blocks of `blockRows` that multiply only the keys at or before
    /// their block's last row: a row's probabilities are zero above the diagonal up to its block's end, and
    /// what lies after its block's end is never written (`backward` never reads it).
    /// With `causal` false every position attends to every other (encoders such as BERT).
    public static func forward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                               qkv: UnsafePointer<Float>, batch: Int, length t: Int, layout: AttentionLayout,
                               causal: Bool = true) {
        let hs = layout.headSize, nh = layout.heads, stride = layout.rowStride, width = layout.outputWidth
        let scale = 1 / Float(hs).squareRoot()
        let block = causal ? blockRows : t
        BLAS.independentProducts(batch * nh) { bh in
            let b = bh / nh, h = bh % nh
            let row0 = qkv + b * t * stride
            let q = row0 + layout.queryOffset + h * hs
            let k = row0 + layout.keyOffset + layout.kvHead(h) * hs
            let p = probs + bh * t * t
            forEachBlock(length: t, block: block) { i0, i1 in
                BLAS.sgemm(transB: true, m: i1 - i0, n: i1Keys(i1, t, causal), k: hs, alpha: scale,
                           a: q + i0 * stride, lda: stride, b: k, ldb: stride, c: p + i0 * t, ldc: t)
            }
        }
        Parallel.forRanges(batch * nh * t, minimumChunk: 32) { range in
            for row in range {
                let i = row % t
                softmaxRow(probs + row * t, used: causal ? i + 1 : t, zeroTo: min(t, (i / block + 1) * block))
            }
        }
        BLAS.independentProducts(batch * nh) { bh in
            let b = bh / nh, h = bh % nh
            let v = qkv + b * t * stride + layout.valueOffset + layout.kvHead(h) * hs
            let p = probs + bh * t * t
            forEachBlock(length: t, block: block) { i0, i1 in
                BLAS.sgemm(m: i1 - i0, n: hs, k: i1Keys(i1, t, causal), a: p + i0 * t, lda: t, b: v, ldb: stride,
                           c: out + (b * t + i0) * width + h * hs, ldc: width)
            }
        }
    }

    /// Query rows per score product of the causal passes: block `[i0, i1)` reads keys `0..<i1` only, so the
    /// products above the diagonal's blocks are never computed.
    public static let blockRows = 64

    /// Keys a block ending at query row `i1` reads.
    @inline(__always) private static func i1Keys(_ i1: Int, _ t: Int, _ causal: Bool) -> Int { causal ? i1 : t }

    /// Softmax of a score row's first `used` entries, in place, then zeros from there up to `end` (the rest of
    /// the row's block, which the product with the values reads).
    @inline(__always) static func softmaxRow(_ p: UnsafeMutablePointer<Float>, used: Int, zeroTo end: Int) {
        let m = VectorMath.max(p, used)
        let s = VectorMath.expShiftedSum(p, shift: m, used)
        VectorMath.scale(p, 1 / s, used)
        if used < end { (p + used).update(repeating: 0, count: end - used) }
    }

    /// Calls `body(i0, i1)` for the query blocks `[i0, i1)` of `length` rows, in order.
    @inline(__always) static func forEachBlock(length t: Int, block: Int, _ body: (Int, Int) -> Void) {
        var i0 = 0
        while i0 < t {
            let i1 = min(t, i0 + block)
            body(i0, i1)
            i0 = i1
        }
    }

    /// Floats of scratch `forwardInference` needs: every head's `T × T` scores of one sequence.
    public static func inferenceScratchCount(length t: Int, layout: AttentionLayout) -> Int { layout.heads * t * t }

    /// The same attention as `forward`, for passes that need no backward: one sequence at a time (its heads'
    /// scores in `scratch`, `inferenceScratchCount` floats, instead of the batch's `[B, heads, T, T]`
    /// probabilities), and with causal masking the query rows in blocks of `blockRows` that each
    /// multiply only the keys at or before their last row.
    public static func forwardInference(out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                        qkv: UnsafePointer<Float>, batch: Int, length t: Int,
                                        layout: AttentionLayout, causal: Bool = true) {
        let hs = layout.headSize, nh = layout.heads, stride = layout.rowStride, width = layout.outputWidth
        let scale = 1 / Float(hs).squareRoot()
        let block = causal ? blockRows : t
        for b in 0..<batch {
            let row0 = qkv + b * t * stride
            BLAS.independentProducts(nh) { h in
                let q = row0 + layout.queryOffset + h * hs
                let k = row0 + layout.keyOffset + layout.kvHead(h) * hs
                let s = scratch + h * t * t
                forEachBlock(length: t, block: block) { i0, i1 in
                    BLAS.sgemm(transB: true, m: i1 - i0, n: i1Keys(i1, t, causal), k: hs, alpha: scale,
                               a: q + i0 * stride, lda: stride, b: k, ldb: stride, c: s + i0 * t, ldc: t)
                }
            }
            // Row i of a head keeps keys 0...i (causal); the rest of its block's keys are zeroed for the product.
            Parallel.forRanges(nh * t, minimumChunk: 32) { range in
                for row in range {
                    let i = row % t
                    softmaxRow(scratch + row * t, used: causal ? i + 1 : t, zeroTo: min(t, (i / block + 1) * block))
                }
            }
            BLAS.independentProducts(nh) { h in
                let v = row0 + layout.valueOffset + layout.kvHead(h) * hs
                let s = scratch + h * t * t
                forEachBlock(length: t, block: block) { i0, i1 in
                    BLAS.sgemm(m: i1 - i0, n: hs, k: i1Keys(i1, t, causal), a: s + i0 * t, lda: t, b: v, ldb: stride,
                               c: out + (b * t + i0) * width + h * hs, ldc: width)
                }
            }
        }
    }

    /// Writes `dqkv` (overwritten, same layout as `qkv`) from `dout` (`[B, T, heads·hs]`) and the probabilities
    /// `forward` wrote; with causal masking in the same blocks of query rows, each reading only its keys.
    /// `scratch` holds `B·heads·T·T` floats.
    public static func backward(dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                                probs: UnsafePointer<Float>, batch: Int, length t: Int, layout: AttentionLayout,
                                causal: Bool = true) {
        let hs = layout.headSize, nh = layout.heads, stride = layout.rowStride, width = layout.outputWidth
        let scale = 1 / Float(hs).squareRoot()
        let block = causal ? blockRows : t
        // Key and value gradients are sums over the query heads of a group and over query blocks: start from zero.
        dqkv.update(repeating: 0, count: batch * t * stride)
        // One task per (sequence, key/value head): the query heads of a group add into the same dK and dV, in
        // order, within one task.
        let group = nh / layout.kvHeads
        BLAS.independentProducts(batch * layout.kvHeads) { bg in
            let b = bg / layout.kvHeads
            for h in (bg % layout.kvHeads * group)..<((bg % layout.kvHeads + 1) * group) {
                let v = qkv + b * t * stride + layout.valueOffset + layout.kvHead(h) * hs
                let dv = dqkv + b * t * stride + layout.valueOffset + layout.kvHead(h) * hs
                let p = probs + (b * nh + h) * t * t
                let dp = scratch + (b * nh + h) * t * t
                let dy = dout + b * t * width + h * hs
                forEachBlock(length: t, block: block) { i0, i1 in
                    let keys = i1Keys(i1, t, causal)
                    // dP = dY · Vᵀ ; dV += Pᵀ · dY
                    BLAS.sgemm(transB: true, m: i1 - i0, n: keys, k: hs, a: dy + i0 * width, lda: width, b: v,
                               ldb: stride, c: dp + i0 * t, ldc: t)
                    BLAS.sgemm(transA: true, m: keys, n: hs, k: i1 - i0, a: p + i0 * t, lda: t, b: dy + i0 * width,
                               ldb: width, beta: 1, c: dv, ldc: stride)
                }
            }
        }
        // Softmax backward, scaled: dS = scale · P ∘ (dP − Σ P∘dP), zero above the diagonal to the block's end.
        Parallel.forRanges(batch * nh * t, minimumChunk: 32) { range in
            for row in range {
                let i = row % t
                let used = causal ? i + 1 : t
                let p = probs + row * t
                let dp = scratch + row * t
                let inner = VectorMath.dot(p, dp, used)
                for j in 0..<used { dp[j] = scale * p[j] * (dp[j] - inner) }
                let blockEnd = min(t, (i / block + 1) * block)
                if used < blockEnd { (dp + used).update(repeating: 0, count: blockEnd - used) }
            }
        }
        BLAS.independentProducts(batch * layout.kvHeads) { bg in
            let b = bg / layout.kvHeads
            for h in (bg % layout.kvHeads * group)..<((bg % layout.kvHeads + 1) * group) {
                let row0 = qkv + b * t * stride, drow0 = dqkv + b * t * stride
                let ds = scratch + (b * nh + h) * t * t
                let kv = layout.kvHead(h) * hs
                let q = row0 + layout.queryOffset + h * hs, dq = drow0 + layout.queryOffset + h * hs
                forEachBlock(length: t, block: block) { i0, i1 in
                    let keys = i1Keys(i1, t, causal)
                    // dQ = dS · K ; dK += dSᵀ · Q
                    BLAS.sgemm(m: i1 - i0, n: hs, k: keys, a: ds + i0 * t, lda: t, b: row0 + layout.keyOffset + kv,
                               ldb: stride, c: dq + i0 * stride, ldc: stride)
                    BLAS.sgemm(transA: true, m: keys, n: hs, k: i1 - i0, a: ds + i0 * t, lda: t, b: q + i0 * stride,
                               ldb: stride, beta: 1, c: drow0 + layout.keyOffset + kv, ldc: stride)
                }
            }
        }
    }
}
