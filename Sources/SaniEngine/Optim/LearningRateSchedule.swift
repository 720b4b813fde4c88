/// Learning rate as a function of the optimizer step: linear warm-up, then constant or cosine decay.
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Shape: String, Sendable, Codable { case constant, cosine }

    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var shape: Shape
    /// Floor of the cosine decay, as a fraction of `peak`.
    public var minimumFraction: Float

    public init(peak: Float, warmupSteps: Int = 0, totalSteps: Int = 0, shape: Shape = .constant,
                minimumFraction: Float = 0.1) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.shape = shape
        self.minimumFraction = minimumFraction
    }

    /// Learning rate for 0-based `step`.
    public func rate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        switch shape {
        case .constant:
            return peak
        case .cosine:
            let span = max(1, totalSteps - warmupSteps)
            let progress = min(1, Float(step - warmupSteps) / Float(span))
            let floor = peak * minimumFraction
            return floor + (peak - floor) * 0.5 * (1 + cosf(Float.pi * progress))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
