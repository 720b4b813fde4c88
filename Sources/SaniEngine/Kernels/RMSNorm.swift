/// Root-mean-square normalisation over the last dimension (Llama), forward and backward, threaded over rows.
public enum RMSNorm {
    /// `out[r] = x[r] · rstd · weight` with `rstd = 1/√(mean(x²) + ε)`; stores `rstd` per row.
    public static func forward(out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                               input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               rows: Int, channels c: Int, epsilon: Float) {
        Parallel.forRanges(rows, minimumChunk: 16) { range in
            for r in range {
                let x = input + r * c
                let s = 1 / (VectorMath.dot(x, x, c) / Float(c) + epsilon).squareRoot()
                let o = out + r * c
                for i in 0..<c { o[i] = x[i] * s * weight[i] }
                rstd[r] = s
            }
        }
    }

    /// Accumulates `dinput` and `dweight`: with `g = weight ∘ dout`,
    /// `dx = rstd·g − x·rstd³·(g·x)/C`, `dweight += dout ∘ x·rstd`.
    public static func backward(dinput: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, rows: Int, channels c: Int) {
        let chunks = min(Parallel.threadCount, max(1, rows / 16))
        let partial = FloatBuffer(count: chunks * c)
        let per = (rows + chunks - 1) / chunks
        Parallel.forRanges(chunks) { chunkRange in
            for chunk in chunkRange {
                let dw = partial.pointer + chunk * c
                let lo = chunk * per, hi = min(rows, lo + per)
                if lo >= hi { continue }
                for r in lo..<hi {
                    let x = input + r * c, dy = dout + r * c, dx = dinput + r * c
                    let s = rstd[r]
                    var gx: Float = 0
                    for i in 0..<c { gx += weight[i] * dy[i] * x[i] }
                    let k = s * s * s * gx / Float(c)
                    for i in 0..<c {
                        dx[i] += s * weight[i] * dy[i] - x[i] * k
                        dw[i] += dy[i] * x[i] * s
                    }
                }
            }
        }
        for chunk in 0..<chunks { VectorMath.add(partial.pointer + chunk * c, dweight, c) }
    }
}
