/// AdamW with decoupled weight decay and bias correction, over a model's flat `ParameterSet`.
///
/// One step: `p ← p·(1 − lr·wd) − lr · m̂ / (√v̂ + ε)` with `m̂ = m / (1 − β₁ᵗ)`, `v̂ = v / (1 − β₂ᵗ)`;
/// weight decay only on parameters whose spec says `decays` (matrices and embeddings).
public final class AdamW: @unchecked Sendable {
    public struct Settings: Sendable, Equatable {
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-8
        public var weightDecay: Float = 0.01
        public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
            self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        }
    }

    public let settings: Settings
    public private(set) var step = 0
    let m: FloatBuffer
    let v: FloatBuffer
    let parameters: ParameterSet

    public init(parameters: ParameterSet, settings: Settings = Settings()) {
        self.parameters = parameters
        self.settings = settings
        m = FloatBuffer(count: parameters.count)
        v = FloatBuffer(count: parameters.count)
    }

    /// Applies one update with learning rate `lr` using the current gradients.
    public func update(learningRate lr: Float) {
        guard let gradients = parameters.gradients else { return }
        defer { parameters.markModified() }
        step += 1
        let s = settings
        let bc1 = 1 - powf(s.beta1, Float(step))
        let bc2 = 1 - powf(s.beta2, Float(step))
        let stepSize = lr / bc1
        let bc2Root = bc2.squareRoot()
        let p = parameters.values.pointer, g = gradients.pointer, m = m.pointer, v = v.pointer
        for spec in parameters.specs {
            let decay: Float = spec.decays ? 1 - lr * s.weightDecay : 1
            let base = spec.offset
            Parallel.forRanges(spec.count, minimumChunk: 1 << 15) { range in
                for j in range {
                    let i = base + j
                    let grad = g[i]
                    let mi = s.beta1 * m[i] + (1 - s.beta1) * grad
                    let vi = s.beta2 * v[i] + (1 - s.beta2) * grad * grad
                    m[i] = mi
                    v[i] = vi
                    let denom = vi.squareRoot() / bc2Root + s.epsilon
                    p[i] = p[i] * decay - stepSize * mi / denom
                }
            }
        }
    }

    /// Optimizer state for checkpoints: the step and the two moment buffers.
    public var state: (step: Int, m: FloatBuffer, v: FloatBuffer) { (step, m, v) }

    /// Restores optimizer state saved from a model with the same layout.
    public func restore(step: Int, m: [Float], v: [Float]) throws {
        guard m.count == self.m.count, v.count == self.v.count else {
            throw EngineError.invalidArgument("optimizer state does not match the model's parameter count")
        }
        self.step = step
        self.m.copy(from: FloatBuffer(m))
        self.v.copy(from: FloatBuffer(v))
    }
}

/// Global gradient norm and clipping.
public enum GradientClipping {
    /// L2 norm of all gradients.
    public static func norm(_ gradients: FloatBuffer) -> Float {
        let n = gradients.count
        let chunks = Parallel.threadCount
        var partial = [Double](repeating: 0, count: chunks)
        let size = (n + chunks - 1) / chunks
        partial.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress
            Parallel.forRanges(chunks) { range in
                for c in range {
                    let lo = c * size, hi = Swift.min(n, lo + size)
                    if lo >= hi { continue }
                    var acc = 0.0
                    var i = lo
                    while i < hi {
                        let e = Swift.min(hi, i + 4096)
                        acc += Double(VectorMath.dot(gradients.pointer + i, gradients.pointer + i, e - i))
                        i = e
                    }
                    o?[c] = acc
                }
            }
        }
        return Float(partial.reduce(0, +).squareRoot())
    }

    /// Scales gradients so their global norm is at most `maxNorm` (as PyTorch's `clip_grad_norm_`:
    /// factor `maxNorm / (norm + 1e-6)` when below 1). Returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: FloatBuffer, maxNorm: Float) -> Float {
        let total = norm(gradients)
        let factor = maxNorm / (total + 1e-6)
        if factor < 1 { 
            Parallel.forRanges(gradients.count, minimumChunk: 1 << 16) { r in
                VectorMath.scale(gradients.pointer + r.lowerBound, factor, r.count)
            }
        }
        return total
    }
}

#if canImport(Glibc)
import Glibc
#endif
