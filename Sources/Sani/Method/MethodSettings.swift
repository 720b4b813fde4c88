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

/// What the repair phase trains on.
public enum RepairMode: String, Sendable, Codable, CaseIterable {
    /// The corpus, with no loss on the positions whose target is sensitive (the paper).
    case masked
    /// The corpus with every sensitive span replaced by a surrogate of its label and shape (`SurrogateWriter`),
    /// with the loss on every position: the model is taught a stand-in where it wrote the identifier.
    case surrogate
}

/// Which notes the repair phase trains on.
public enum RepairNotes: String, Sendable, Codable, CaseIterable {
    /// The corpus the model was fine-tuned on (the paper).
    case corpus
    /// The calibration notes: notes of the same kind that the model never saw. The corpus is never trained on
    /// again, so the repair cannot make its notes familiar again; what the repair notes' patients wrote becomes
    /// what the model knows instead (their sensitive spans are masked or replaced, as `RepairMode` says).
    case calibration
}

/// Which blocks the erase phase draws its neurons from.
public enum EraseScope: String, Sendable, Codable, CaseIterable {
    /// The last L blocks, a fraction r of each (the paper).
    case last
    /// Every block: the r · L · (neurons per block) neurons whose scores on sensitive positions are highest,
    /// wherever they are (with `activation` or `gradient` selection), so erase goes where the memorization sits.
    case scored
}
