/// Which phases a sanitization runs; `repairOnly` and `eraseOnly` exist to compare against the full method.
public enum SanitizationMethod: String, Sendable, Codable, CaseIterable {
    /// Erase then repair (the paper's method).
    case sani
    case repairOnly = "repair-only"
    case eraseOnly = "erase-only"

    public var erases: Bool { self != .repairOnly }
    public var repairs: Bool { self != .eraseOnly }
}

/// How the erase phase picks the MLP neurons it re-initialises.
public enum NeuronSelection: String, Sendable, Codable, CaseIterable {
    /// Uniformly at random with a recorded seed (the paper).
    case random
    /// Neurons most active on sensitive positions relative to the other positions.
    case activation
    /// Largest |weight × gradient| of the loss on sensitive positions.
    case gradient
}
