/// The Llama MLP non-linearity `silu(gate) ∘ up` over a packed `[rows, 2·I]` buffer (`gate | up`).
public enum SwiGLU {
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + VectorMath.exp(-x)) }

    public static func forward(out: UnsafeMutablePointer<Float>, gateUp: UnsafePointer<Float>, rows: Int, inner: Int) {
        Parallel.forRanges(rows, minimumChunk: 8) { range in
            for r in range {
                let g = gateUp + r * 2 * inner, u = g + inner, o = out + r * inner
                for i in 0..<inner { o[i] = g[i] * sigmoid(g[i]) * u[i] }
            }
        }
    }

    /// Writes `dgateUp` (overwrites): `dgate = dout·up·silu'(gate)`, `dup = dout·silu(gate)`.
    public static func backward(dgateUp: UnsafeMutablePointer<Float>, gateUp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, rows: Int, inner: Int) {
        Parallel.forRanges(rows, minimumChunk: 8) { range in
            for r in range {
                let g = gateUp + r * 2 * inner, u = g + inner
                let dg = dgateUp + r * 2 * inner, du = dg + inner, dy = dout + r * inner
                for i in 0..<inner {
                    let s = sigmoid(g[i])
                    let silu = g[i] * s
                    du[i] = dy[i] * silu
                    dg[i] = dy[i] * u[i] * s * (1 + g[i] * (1 - s))
                }
            }
        }
    }
}
