import SaniEngine

/// One epoch of training over `TrainingWindows`: zero gradients, weighted loss and backward, clip to norm 1,
/// AdamW step. Shared by the repair phase and ordinary fine-tuning (`sani train`).
public enum TrainingLoop {
    /// Runs the batches of `order` and returns the mean loss. `onStep(step, steps, loss)` follows every step.
    /// `maskSeed` draws a masked model's targets (a different seed per epoch masks different positions).
    /// With `forget`, each step also carries the targeted-forgetting term (see `ForgetPlan`). With `floor`, the
    /// windows the model already finds easier than unseen notes are left out of the step (see `MembershipFloor`).
    public static func epoch(model: any LanguageModel, optimizer: AdamW, windows: TrainingWindows, order: [Int],
                             batchSize: Int, schedule: LearningRateSchedule, maskSeed: UInt64 = 0,
                             forget: ForgetPlan? = nil, floor: MembershipFloor? = nil,
                             isCancelled: CancellationCheck, onStep: (Int, Int, Double) -> Void) throws -> Double {
        let forgetOrder = forget.map { $0.windows.order(seed: maskSeed ^ 0xF0_4637) } ?? []
        let steps = (order.count + batchSize - 1) / batchSize
        var lossSum = 0.0
        for step in 0..<steps {
            if isCancelled() { throw SaniError.cancelled }
            let batch = Array(order[(step * batchSize)..<min(order.count, (step + 1) * batchSize)])
            var b = windows.batch(batch, maskSeed: maskSeed)
            if let floor {
                let kept = try Sanitizer.wrapEngine {
                    try floor.apply(to: &b, windows: batch.count, length: windows.length, model: model,
                                    batchSize: batchSize)
                }
                // Nothing left to learn in this batch: no step at all (AdamW's momentum would still move the weights).
                if kept == 0 && forget == nil {
                    onStep(step + 1, steps, 0)
                    continue
                }
            }
            model.parameters.ensureGradients()
            model.parameters.zeroGradients()
            let loss = try Sanitizer.wrapEngine { () -> Float in
                guard let forget else {
                    return try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                                         batch: batch.count, length: windows.length)
                }
                if forget.sharesRepairWindows {
                    return try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                                         forget: forget.terms(batch),
                                                         batch: batch.count, length: windows.length)
                }
                let repairLoss = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                                               batch: batch.count, length: windows.length)
                // The forgetting pass walks the corpus's own windows in its own order, as many a step.
                let picked = (0..<batch.count).map { forgetOrder[(step * batchSize + $0) % forgetOrder.count] }
                let fb = forget.batch(picked)
                return repairLoss + (try model.accumulateGradients(
                    tokens: fb.tokens, targets: fb.targets, weights: [Float](repeating: 0, count: fb.weights.count),
                    forget: forget.terms(picked, batch: fb), batch: picked.count, length: forget.windows.length))
            }
            if let g = model.parameters.gradients { GradientClipping.clip(g, maxNorm: 1) }
            optimizer.update(learningRate: schedule.rate(at: optimizer.step))
            lossSum += Double(loss)
            onStep(step + 1, steps, Double(loss))
        }
        model.parameters.dropGradients()
        model.releaseActivations()
        return steps == 0 ? 0 : lossSum / Double(steps)
    }
}
