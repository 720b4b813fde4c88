#if canImport(Glibc)
import Glibc
#endif

/// Rotary position embeddings as Llama applies them: each head's dimension is split in halves `[x1, x2]`, and
/// pair `(x1[i], x2[i])` is rotated by `position · θ^(−2i/d)`.
public struct RotaryEmbedding: Sendable {
    public let headSize: Int
    public let theta: Float
    let inverseFrequencies: [Float]

    public init(headSize: Int, theta: Float) {
        self.headSize = headSize
        self.theta = theta
        let half = headSize / 2
        inverseFrequencies = (0..<half).map { i in
            Float(1 / pow(Double(theta), Double(2 * i) / Double(headSize)))
        }
    }

    /// Rotates, in place, `heads` heads of `rows` rows (row r at `positions[r]`), each head at
    /// `base + r·stride + h·headSize`. `inverse` applies the transposed rotation (the backward pass).
    public func apply(_ base: UnsafeMutablePointer<Float>, stride: Int, heads: Int, rows: Int,
                      position: (Int) -> Int, inverse: Bool = false) {
        let half = headSize / 2
        let freqs = inverseFrequencies
        withoutActuallyEscaping(position) { position in
            let box = UncheckedSendable(position)
            Parallel.forRanges(rows, minimumChunk: 8) { range in
                var cosines = [Float](repeating: 0, count: half), sines = [Float](repeating: 0, count: half)
                for r in range {
                    let p = Double(box.value(r))
                    for i in 0..<half {
                        let angle = Float(p) * freqs[i]
                        cosines[i] = cosf(angle)
                        sines[i] = inverse ? -sinf(angle) : sinf(angle)
                    }
                    for h in 0..<heads {
                        let x = base + r * stride + h * headSize
                        for i in 0..<half {
                            let a = x[i], b = x[i + half]
                            x[i] = a * cosines[i] - b * sines[i]
                            x[i + half] = b * cosines[i] + a * sines[i]
                        }
                    }
                }
            }
        }
    }
}
