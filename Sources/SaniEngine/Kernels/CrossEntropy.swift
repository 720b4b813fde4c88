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
        var weightSum: Float = 0
        for r in 0..<rows { weightSum += weights[r] }
        let norm: Float = weightSum > 0 ? 1 / weightSum : 0
        Parallel.forRanges(rows, minimumChunk: 4) { range in
            for r in range {
                let x = logits + r * v
                let target = Int(targets[r])
                let m = VectorMath.max(x, v)
                let targetLogit = x[target]
                let s = VectorMath.expShiftedSum(x, shift: m, v)
                losses[r] = m + _log(s) - targetLogit
                let g = weights[r] * norm
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
        return Float(total) * norm
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _log(_ x: Float) -> Float { Glibc.logf(x) }
#else
import Foundation
@inline(__always) func _log(_ x: Float) -> Float { Foundation.log(x) }
#endif
