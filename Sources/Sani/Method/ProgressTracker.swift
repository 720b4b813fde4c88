import Foundation

/// Turns phase-local progress into overall completion and an ETA. Work is weighted: the audit before and each
/// epoch's audit count 1, the erase 0.3, each repair epoch 3.
final class ProgressTracker: @unchecked Sendable {
    private let sink: @Sendable (SanitizationProgress) -> Void
    private let started: Date
    private let epochs: Int
    private let weights: (audit: Double, erase: Double, epoch: Double)
    private let total: Double
    private var base = 0.0
    private var resumedFraction = 0.0

    /// `repairEpochs`: the epochs the run repairs for, once its defaults are decided.
    init(options: SanitizationOptions, repairEpochs: Int, started: Date,
         sink: @escaping @Sendable (SanitizationProgress) -> Void) {
        self.sink = sink
        self.started = started
        epochs = options.method.repairs ? repairEpochs : 0
        weights = (1, options.method.erases ? 0.3 : 0, 3)
        total = weights.audit + weights.erase + Double(epochs) * (weights.epoch + weights.audit)
            + (epochs == 0 ? weights.audit : 0)
    }

    func finishAuditBefore() { base = weights.audit }
    func finishErase() { base = weights.audit + weights.erase }
    func finishEpoch(_ epoch: Int) {
        base = weights.audit + weights.erase + Double(epoch) * (weights.epoch + weights.audit)
    }
    func resume(completedEpochs: Int) {
        finishEpoch(completedEpochs)
        resumedFraction = base / total
    }

    func emit(_ phase: SanitizationPhase, epoch: Int? = nil, step: Int, steps: Int, loss: Double? = nil, message: String) {
        let local = steps > 0 ? Double(step) / Double(steps) : 0
        let span: Double
        switch phase {
        case .preparing, .saving: span = 0
        case .audit: span = weights.audit
        case .erase: span = weights.erase
        case .repair: span = weights.epoch
        }
        let offset = phase == .audit && epoch != nil ? weights.epoch : 0
        let fraction = phase == .saving && step == steps ? 1 : min(1, (base + offset + local * span) / total)
        let elapsed = Date().timeIntervalSince(started)
        let progressed = fraction - resumedFraction
        let eta: Double? = progressed > 0.01 ? elapsed / progressed * (1 - fraction) : nil
        sink(SanitizationProgress(phase: phase, epoch: epoch, epochs: epochs, step: step, steps: steps,
                                  fraction: fraction, loss: loss, etaSeconds: eta, message: message))
    }
}
