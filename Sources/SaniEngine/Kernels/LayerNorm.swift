/// Layer normalisation over the last dimension, forward and backward, threaded over rows.
public enum LayerNorm {
    /// `out[r] = (x[r] - mean) * rstd * weight + bias`; stores per-row mean and rstd for the backward pass.
    public static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               rows: Int, channels c: Int, epsilon: Float) {
        Parallel.forRanges(rows, minimumChunk: 16) { range in
            for r in range {
                let x = input + r * c
                let m = VectorMath.sum(x, c) / Float(c)
                var v: Float = 0
                for i in 0..<c { let d = x[i] - m; v += d * d }
                v /= Float(c)
                let s = 1 / (v + epsilon).squareRoot()
                let o = out + r * c
                for i in 0..<c { o[i] = (x[i] - m) * s * weight[i] + bias[i] }
                mean[r] = m
                rstd[r] = s
            }
        }
    }

    /// Accumulates `dinput`, `dweight`, `dbias` from `dout`.
    public static func backward(dinput: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                rows: Int, channels c: Int) {
        let chunks = min(Parallel.threadCount, max(1, rows / 16))
        let partial = FloatBuffer(count: chunks * 2 * c)
        let per = (rows + chunks - 1) / chunks
        Parallel.forRanges(chunks) { chunkRange in
            for chunk in chunkRange {
                let dw = partial.pointer + chunk * 2 * c
                let db = dw + c
                let lo = chunk * per, hi = min(rows, lo + per)
                if lo >= hi { continue }
                for r in lo..<hi {
                    let x = input + r * c, g = dout + r * c, dx = dinput + r * c
                    let m = mean[r], s = rstd[r]
                    var dnormMean: Float = 0, dnormNormMean: Float = 0
                    for i in 0..<c {
                        let norm = (x[i] - m) * s
                        let dnorm = weight[i] * g[i]
                        dnormMean += dnorm
                        dnormNormMean += dnorm * norm
                    }
                    dnormMean /= Float(c)
                    dnormNormMean /= Float(c)
                    for i in 0..<c {
                        let norm = (x[i] - m) * s
                        let dnorm = weight[i] * g[i]
                        db[i] += g[i]
                        dw[i] += norm * g[i]
                        dx[i] += s * (dnorm - dnormMean - norm * dnormNormMean)
                    }
                }
            }
        }
        for chunk in 0..<chunks {
            VectorMath.add(partial.pointer + chunk * 2 * c, dweight, c)
            VectorMath.add(partial.pointer + chunk * 2 * c + c, dbias, c)
        }
    }
}
