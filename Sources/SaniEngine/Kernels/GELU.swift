/// GELU in its tanh form (as GPT-2 and BERT's `gelu_new` / `gelu_pytorch_tanh`), forward and backward.
public enum GELU {
    static let k: Float = 0.7978845608028654 // sqrt(2/pi)
    static let c: Float = 0.044715

    public static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count n: Int) {
        Parallel.forRanges(n, minimumChunk: 4096) { range in
            var i = range.lowerBound
            let w = VectorMath.width
            while i + w <= range.upperBound {
                let x = VectorMath.load(input + i)
                let t = VectorMath.tanh(k * (x + c * x * x * x))
                VectorMath.store(0.5 * x * (1 + t), out + i)
                i += w
            }
            while i < range.upperBound {
                let x = input[i]
                let t = VectorMath.tanh(k * (x + c * x * x * x))
                out[i] = 0.5 * x * (1 + t)
                i += 1
            }
        }
    }

    /// `dinput = dout * gelu'(input)` (overwrites).
    public static func backward(dinput: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count n: Int) {
        Parallel.forRanges(n, minimumChunk: 4096) { range in
            var i = range.lowerBound
            let w = VectorMath.width
            while i + w <= range.upperBound {
                let x = VectorMath.load(input + i)
                let t = VectorMath.tanh(k * (x + c * x * x * x))
                let sech2 = 1 - t * t
                let grad = 0.5 * (1 + t) + 0.5 * x * sech2 * k * (1 + 3 * c * x * x)
                VectorMath.store(grad * VectorMath.load(dout + i), dinput + i)
                i += w
            }
            while i < range.upperBound {
                let x = input[i]
                let t = VectorMath.tanh(k * (x + c * x * x * x))
                let grad = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x)
                dinput[i] = grad * dout[i]
                i += 1
            }
        }
    }
}
