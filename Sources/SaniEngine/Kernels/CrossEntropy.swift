/// Cross-entropy of logits against target ids with a weight per position.
///
/// The loss is `Σ wᵢ·ceᵢ / Σ wᵢ`: a weight of 0 removes a position from the loss and from the gradient
/// (the repair phase gives sensitive targets weight 0). With all weights 1 it is the ordinary mean loss.
public enum CrossEntropy {
    /// `log Σ exp(x)` of one row.
    @inline(__always)
    public static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let m = VectorMath.max(x, n)
        var acc = VectorMath.V()
        var i = 0
        let w = VectorMath.width
        let shift = VectorMath.V(repeating: m)
        while i + w <= n { acc += VectorMath.exp(VectorMath.load(x + i) - shift); i += w }
        var s = acc.sum()
        while i < n { s += VectorMath.exp(x[i] - m); i += 1 }
        return m + _log(s)
    }

    /// Per-position cross-entropy into `losses` (`rows` values); logits untouched.
    public static func perPosition(losses: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>,
                                   targets: UnsafePointer<Int32>, rows: Int, vocabulary v: Int) {
        Parallel.forRanges(rows, minimumChunk: 4) { range in
            for r in range {
                let x = logits + r * v
                losses[r] = logSumExp(x, v) - x[Int(targets[r])]
            }
        }
    }

    /// Computes the weighted mean loss and overwrites `logits` with d(loss)/d(logits).
    /// `losses` receives the per-position cross-entropy. Returns the loss (0 when all weights are 0).
    public static func lossAndGradient(logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
                                       targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                                       rows: Int, vocabulary v: Int) -> Float {
        lossAndGradient(logits: logits, losses: losses, targets: targets, weights: weights, forget: nil,
                        rows: rows, vocabulary: v)
    }

    /// The same, plus the targeted-forgetting term of `forget` (see `ForgetTerms`): a forgotten row's gradient
    /// is `(g − c)·(softmax − onehot)` with `g` its cross-entropy weight and `c = λ fᵢ/Σf · 2σ(βΔ)`,
    /// `Δ = log p(y) − log p_ref(y)`.
    public static func lossAndGradient(logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>,
                                       targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                                       forget: ForgetPointers?, rows: Int, vocabulary v: Int) -> Float {
        var weightSum: Float = 0
        for r in 0..<rows { weightSum += weights[r] }
        let norm: Float = weightSum > 0 ? 1 / weightSum : 0
        var forgetSum: Float = 0
        if let forget { for r in 0..<rows { forgetSum += forget.weights[r] } }
        let forgetNorm: Float = forgetSum > 0 ? (forget?.scale ?? 0) / forgetSum : 0
        let beta = forget?.beta ?? 1
        Parallel.forRanges(rows, minimumChunk: 4) { range in
            for r in range {
                let x = logits + r * v
                let target = Int(targets[r])
                let m = VectorMath.max(x, v)
                let targetLogit = x[target]
                let s = VectorMath.expShiftedSum(x, shift: m, v)
                losses[r] = m + _log(s) - targetLogit
                var g = weights[r] * norm
                if let forget, forget.weights[r] > 0 {
                    let delta = -losses[r] - forget.referenceLogProbs[r]
                    g -= forgetNorm * forget.weights[r] * 2 * sigmoid(beta * delta)
                }
                if g == 0 {
                    x.update(repeating: 0, count: v)
                } else {
                    VectorMath.scale(x, g / s, v)
                    x[target] -= g
                }
            }
        }
        var total: Double = 0
        for r in 0..<rows { total += Double(weights[r]) * Double(losses[r]) }
        var loss = Float(total) * norm
        if let forget, forgetNorm > 0 {
            var f: Double = 0
            for r in 0..<rows where forget.weights[r] > 0 {
                let delta = -losses[r] - forget.referenceLogProbs[r]
                f += Double(forget.weights[r]) * Double(2 / beta * softplus(beta * delta))
            }
            loss += Float(f) * forgetNorm
        }
        return loss
    }

    /// The arrays of `ForgetTerms` as pointers, for the kernel.
    public struct ForgetPointers {
        public var weights: UnsafePointer<Float>
        public var referenceLogProbs: UnsafePointer<Float>
        public var beta: Float
        public var scale: Float
        public init(weights: UnsafePointer<Float>, referenceLogProbs: UnsafePointer<Float>, beta: Float, scale: Float) {
            self.weights = weights; self.referenceLogProbs = referenceLogProbs; self.beta = beta; self.scale = scale
        }
    }

    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + _exp(-x)) }

    /// `log(1 + eˣ)` without overflow.
    @inline(__always) static func softplus(_ x: Float) -> Float { x > 20 ? x : _log1p(_exp(x)) }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Float) -> Float { Glibc.logf(x) }
@inline(__always) func _exp(_ x: Float) -> Float { Glibc.expf(x) }
@inline(__always) func _log1p(_ x: Float) -> Float { Glibc.log1pf(x) }
#else
import Foundation
@inline(__always) func _log(_ x: Float) -> Float { Foundation.log(x) }
@inline(__always) func _exp(_ x: Float) -> Float { Foundation.exp(x) }
@inline(__always) func _log1p(_ x: Float) -> Float { Foundation.log1p(x) }
#endif
