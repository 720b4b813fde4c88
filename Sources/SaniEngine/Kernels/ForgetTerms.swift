/// Targeted forgetting at chosen positions: negative preference optimisation (NPO) of the true target token
/// against a reference model's log-probability of it.
///
/// The term added to a batch's loss is `λ · Σᵢ fᵢ · (2/β) · softplus(β (log p(yᵢ) − log p_ref(yᵢ))) / Σᵢ fᵢ`:
/// it pushes down the probability of the token the model memorized, strongly while the model still agrees with
/// the reference and ever more weakly once it has moved below it, so unlike gradient ascent it is bounded
/// (NPO, Zhang et al. 2024). `fᵢ = 0` leaves a position out.
public struct ForgetTerms: Sendable, Equatable {
    /// Per position (batch × length), ≥ 0.
    public var weights: [Float]
    /// Per position: the reference model's log-probability of the target (read only where `weights` > 0).
    public var referenceLogProbs: [Float]
    /// Inverse temperature β of the preference term.
    public var beta: Float
    /// λ: the weight of the forgetting term against the ordinary loss.
    public var scale: Float

    public init(weights: [Float], referenceLogProbs: [Float], beta: Float, scale: Float) {
        self.weights = weights; self.referenceLogProbs = referenceLogProbs; self.beta = beta; self.scale = scale
    }

    /// Checks the sizes against a batch of `count` positions.
    func check(count: Int) throws {
        guard weights.count == count, referenceLogProbs.count == count else {
            throw EngineError.invalidArgument("forget terms have \(weights.count) weights and \(referenceLogProbs.count) reference values, expected \(count)")
        }
        guard beta > 0, scale >= 0, weights.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.invalidArgument("forget terms need beta > 0, scale >= 0 and weights >= 0")
        }
    }

    /// The terms of `rows`, in that order (a masked model computes its head on some rows only).
    func selecting(_ rows: [Int]) -> ForgetTerms {
        ForgetTerms(weights: rows.map { weights[$0] }, referenceLogProbs: rows.map { referenceLogProbs[$0] },
                    beta: beta, scale: scale)
    }
}
