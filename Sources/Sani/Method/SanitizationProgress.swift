/// The phases of a sanitization, in order.
public enum SanitizationPhase: String, Sendable, Codable, CaseIterable {
    case preparing, audit, erase, repair, saving
}

/// A progress report, emitted often during long work (every training step, every audit batch).
public struct SanitizationProgress: Sendable, Equatable, Codable {
    public var phase: SanitizationPhase
    /// 1-based repair epoch, when repairing or auditing after an epoch.
    public var epoch: Int?
    public var epochs: Int
    /// Step within the current phase and the number of steps it has.
    public var step: Int
    public var steps: Int
    /// Overall completion in [0, 1].
    public var fraction: Double
    public var loss: Double?
    public var etaSeconds: Double?
    public var message: String

    public init(phase: SanitizationPhase, epoch: Int?, epochs: Int, step: Int, steps: Int, fraction: Double,
                loss: Double?, etaSeconds: Double?, message: String) {
        self.phase = phase; self.epoch = epoch; self.epochs = epochs; self.step = step; self.steps = steps
        self.fraction = fraction; self.loss = loss; self.etaSeconds = etaSeconds; self.message = message
    }
}

/// Asked between steps; returning true stops the work with `SaniError.cancelled` within one step.
public typealias CancellationCheck = @Sendable () -> Bool
