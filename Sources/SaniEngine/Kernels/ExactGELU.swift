#if canImport(Glibc)
import Glibc
#endif

/// GELU in its exact form `x·Φ(x) = ½x(1 + erf(x/√2))` (BERT's `gelu`), forward and backward.
public enum ExactGELU {
    public static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count n: Int) {
        Parallel.forRanges(n, minimumChunk: 4096) { range in
            for i in range { out[i] = 0.5 * input[i] * (1 + erff(input[i] * 0.70710678118654752)) }
        }
    }

    /// `dinput = dout · (Φ(x) + x·φ(x))` (overwrites).
    public static func backward(dinput: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count n: Int) {
        Parallel.forRanges(n, minimumChunk: 4096) { range in
            for i in range {
                let x = input[i]
                let cdf = 0.5 * (1 + erff(x * 0.70710678118654752))
                let pdf = expf(-0.5 * x * x) * 0.3989422804014327
                dinput[i] = dout[i] * (cdf + x * pdf)
            }
        }
    }
}
