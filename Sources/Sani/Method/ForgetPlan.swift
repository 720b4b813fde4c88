import SaniEngine

/// Targeted forgetting during the repair: at every sensitive target of the corpus's windows, an NPO term
/// (`ForgetTerms`) pushes down the probability of the true token relative to the model before sanitization.
/// A masked model (BERT) is asked with every sensitive token of a window masked at once (the same questions at
/// every step, so the reference is read once): its own repair never masks a sensitive token, so the forgetting
/// term runs in a pass of its own.
public struct ForgetPlan: Sendable {
    /// The corpus's windows (with the real identifiers); their sensitive targets are the forgotten ones (the
    /// spans of labels the plan leaves alone are not sensitive here).
    public let windows: TrainingWindows
    /// log p(target) of every window position under the model before sanitization (windows × length; read at
    /// sensitive targets only).
    public let reference: [Float]
    public let beta: Float
    public let weight: Float
    /// Whether the repair trains on these same windows (one pass a step carries both terms) or on other text,
    /// such as surrogates (a second pass a step carries the forgetting term alone).
    public let sharesRepairWindows: Bool

    public init(windows: TrainingWindows, reference: [Float], beta: Float, weight: Float, sharesRepairWindows: Bool) {
        self.windows = windows; self.reference = reference; self.beta = beta; self.weight = weight
        // A masked model's repair batches never mask a sensitive token: the forgetting term needs its own pass.
        self.sharesRepairWindows = sharesRepairWindows && windows.masking == nil
    }

    /// The reference log-probabilities of `windows` under `model` (the model before erase).
    public static func reference(model: any LanguageModel, windows: TrainingWindows, batchSize: Int,
                                 isCancelled: CancellationCheck) throws -> [Float] {
        let length = windows.length
        var out = [Float](repeating: 0, count: windows.count * length)
        var start = 0
        while start < windows.count {
            if isCancelled() { throw SaniError.cancelled }
            let indices = Array(start..<min(windows.count, start + batchSize))
            let b = batch(windows, indices)
            // Only the forgotten targets are read: the head runs on those rows alone.
            let rows = (0..<(indices.count * length)).filter { isForgotten(b, $0, in: windows) }
            let logits = try Sanitizer.wrapEngine {
                try model.forward(tokens: b.tokens, batch: indices.count, length: length, rows: rows)
            }
            for (i, row) in rows.enumerated() {
                let x = logits.buffer.pointer + i * logits.vocabulary
                out[indices[row / length] * length + row % length] = x[Int(b.targets[row])]
                    - CrossEntropy.logSumExp(x, logits.vocabulary)
            }
            start += indices.count
        }
        model.releaseActivations()
        return out
    }

    /// The windows `indices` as the forgetting term reads them: a causal model's as they are, a masked model's with
    /// every sensitive token masked.
    func batch(_ indices: [Int]) -> WindowBatch { Self.batch(windows, indices) }

    static func batch(_ windows: TrainingWindows, _ indices: [Int]) -> WindowBatch {
        windows.batch(indices, sensitiveOnly: windows.masking != nil)
    }

    /// Whether position `i` of `batch` is a forgotten target: a sensitive target (causal), a masked sensitive
    /// token (masked).
    static func isForgotten(_ batch: WindowBatch, _ i: Int, in windows: TrainingWindows) -> Bool {
        windows.masking == nil ? batch.sensitive[i] : batch.weights[i] > 0
    }

    /// The forgetting terms of the windows `indices`: weight 1 at their sensitive targets.
    func terms(_ indices: [Int]) -> ForgetTerms { terms(indices, batch: batch(indices)) }

    /// The forgetting terms of the windows `indices`, whose batch is `batch`: weight 1 at sensitive targets.
    func terms(_ indices: [Int], batch: WindowBatch) -> ForgetTerms {
        let length = windows.length
        var weights = [Float](repeating: 0, count: indices.count * length)
        var reference = weights
        for (k, w) in indices.enumerated() {
            for t in 0..<length where Self.isForgotten(batch, k * length + t, in: windows) {
                weights[k * length + t] = 1
                reference[k * length + t] = self.reference[w * length + t]
            }
        }
        return ForgetTerms(weights: weights, referenceLogProbs: reference, beta: beta, scale: weight)
    }
}
