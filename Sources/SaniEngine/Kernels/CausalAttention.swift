/// Causal multi-head self-attention over a packed `[B, T, 3C]` query/key/value buffer (GPT-2 layout:
/// queries in columns `0..<C`, keys in `C..<2C`, values in `2C..<3C`, head `h` at `h·hs..<(h+1)·hs` of each).
/// The score products go through BLAS per (batch, head); the softmax is threaded over rows.
public enum CausalAttention {
    /// `probs` receives the `[B, NH, T, T]` attention probabilities (zero above the diagonal), `out` the `[B, T, C]`
    /// head outputs.
    public static func forward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
                               qkv: UnsafePointer<Float>, batch: Int, length t: Int, channels c: Int,
                               heads nh: Int) {
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        let c3 = 3 * c
        for b in 0..<batch {
            for h in 0..<nh {
                let q = qkv + b * t * c3 + h * hs
                let p = probs + (b * nh + h) * t * t
                BLAS.sgemm(transB: true, m: t, n: t, k: hs, alpha: scale, a: q, lda: c3, b: q + c, ldb: c3,
                           c: p, ldc: t)
            }
        }
        Parallel.forRanges(batch * nh * t, minimumChunk: 32) { range in
            for row in range {
                let i = row % t
                let p = probs + row * t
                let m = VectorMath.max(p, i + 1)
                let s = VectorMath.expShiftedSum(p, shift: m, i + 1)
                VectorMath.scale(p, 1 / s, i + 1)
                if i + 1 < t { (p + i + 1).update(repeating: 0, count: t - i - 1) }
            }
        }
        for b in 0..<batch {
            for h in 0..<nh {
                let v = qkv + b * t * c3 + 2 * c + h * hs
                let p = probs + (b * nh + h) * t * t
                BLAS.sgemm(m: t, n: hs, k: t, a: p, lda: t, b: v, ldb: c3, c: out + b * t * c + h * hs, ldc: c)
            }
        }
    }

    /// Writes `dqkv` (overwritten, `[B, T, 3C]`) from `dout` (`[B, T, C]`). `scratch` holds `B·NH·T·T` floats.
    public static func backward(dqkv: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                                probs: UnsafePointer<Float>, batch: Int, length t: Int, channels c: Int,
                                heads nh: Int) {
        let hs = c / nh
        let scale = 1 / Float(hs).squareRoot()
        let c3 = 3 * c
        for b in 0..<batch {
            for h in 0..<nh {
                let v = qkv + b * t * c3 + 2 * c + h * hs
                let p = probs + (b * nh + h) * t * t
                let dp = scratch + (b * nh + h) * t * t
                let dy = dout + b * t * c + h * hs
                // dP = dY · Vᵀ ; dV = Pᵀ · dY
                BLAS.sgemm(transB: true, m: t, n: t, k: hs, a: dy, lda: c, b: v, ldb: c3, c: dp, ldc: t)
                BLAS.sgemm(transA: true, m: t, n: hs, k: t, a: p, lda: t, b: dy, ldb: c,
                           c: dqkv + b * t * c3 + 2 * c + h * hs, ldc: c3)
            }
        }
        // Softmax backward, scaled: dS = scale · P ∘ (dP − Σ P∘dP), zero above the diagonal.
        Parallel.forRanges(batch * nh * t, minimumChunk: 32) { range in
            for row in range {
                let i = row % t
                let p = probs + row * t
                let dp = scratch + row * t
                let inner = VectorMath.dot(p, dp, i + 1)
                for j in 0...i { dp[j] = scale * p[j] * (dp[j] - inner) }
                if i + 1 < t { (dp + i + 1).update(repeating: 0, count: t - i - 1) }
            }
        }
        for b in 0..<batch {
            for h in 0..<nh {
                let base = qkv + b * t * c3 + h * hs
                let ds = scratch + (b * nh + h) * t * t
                let dbase = dqkv + b * t * c3 + h * hs
                // dQ = dS · K ; dK = dSᵀ · Q
                BLAS.sgemm(m: t, n: hs, k: t, a: ds, lda: t, b: base + c, ldb: c3, c: dbase, ldc: c3)
                BLAS.sgemm(transA: true, m: t, n: hs, k: t, a: ds, lda: t, b: base, ldb: c3, c: dbase + c, ldc: c3)
            }
        }
    }
}
