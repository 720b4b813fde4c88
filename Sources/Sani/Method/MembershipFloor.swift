import SaniEngine

/// Repair with a membership floor: a window of the corpus is trained on only while the model finds it harder
/// than notes it never saw.
///
/// The repair trains on the very notes the model was fine-tuned on, so it makes them more familiar than other
/// notes of the same kind: that gap is what a loss-based membership attack reads (a training note's loss is
/// lower than a held-out note's). With the floor, each step also reads the model's loss on a batch of unseen
/// notes (calibration notes: never trained on, forward pass only); the floor is a running mean of it. Before
/// a repair batch is trained, each of its windows is read the same way (its own targets, weights and masks) and a
/// window whose loss is already below the floor gets weight 0 for that step: the model keeps learning the notes'
/// language from the windows it finds hard, and stops pulling the others below what unseen notes cost it.
/// Targeted forgetting is not affected (its terms do not use the repair weights).
public final class MembershipFloor {
    /// Windows of the calibration notes, framed like the repair's.
    public let calibration: TrainingWindows
    /// Weight of the newest reading in the running mean.
    public let smoothing: Double
    /// The floor: a running mean of the calibration loss (nil before the first reading).
    public private(set) var level: Double?
    /// Windows trained on and left out since the start.
    public private(set) var trainedWindows = 0
    public private(set) var skippedWindows = 0
    private let order: [Int]
    private var cursor = 0
    private let seed: UInt64

    /// The refusal of a floor with nothing to read.
    public static let needsUnseenNotes = "membershipFloor reads its level from notes the model never saw: give calibration notes or held-out notes (a split of the corpus was fine-tuned on)"

    public init(calibration: TrainingWindows, seed: UInt64, smoothing: Double = 0.5) {
        precondition(calibration.count > 0, "the calibration notes have no window")
        self.calibration = calibration
        self.smoothing = smoothing
        self.seed = seed
        order = calibration.order(seed: seed ^ 0xF1_0012)
    }

    /// Share of the windows left out so far (0 when none was read).
    public var skippedShare: Double {
        trainedWindows + skippedWindows == 0 ? 0 : Double(skippedWindows) / Double(trainedWindows + skippedWindows)
    }

    /// Reads one more batch of calibration windows and moves the floor towards its mean loss.
    func observe(model: any LanguageModel, batchSize: Int) throws {
        let count = min(batchSize, calibration.count)
        let picked = (0..<count).map { order[(cursor + $0) % order.count] }
        cursor = (cursor + count) % order.count
        let b = calibration.batch(picked, maskSeed: seed &+ UInt64(cursor))
        let losses = try Self.windowLosses(model: model, batch: b, windows: count, length: calibration.length)
        var sum = 0.0, weight = 0.0
        for (loss, w) in losses where w > 0 { sum += loss * w; weight += w }
        guard weight > 0 else { return }
        let reading = sum / weight
        level = level.map { $0 + smoothing * (reading - $0) } ?? reading
    }

    /// Updates the floor, then gives weight 0 to the windows of `batch` whose loss is below it. Returns how many
    /// windows keep their weights.
    @discardableResult
    public func apply(to batch: inout WindowBatch, windows: Int, length: Int, model: any LanguageModel,
                      batchSize: Int) throws -> Int {
        try observe(model: model, batchSize: batchSize)
        guard let level else { trainedWindows += windows; return windows }
        let losses = try Self.windowLosses(model: model, batch: batch, windows: windows, length: length)
        var kept = 0
        for (w, reading) in losses.enumerated() {
            if reading.weight > 0 && reading.loss < level {
                for t in (w * length)..<((w + 1) * length) { batch.weights[t] = 0 }
                skippedWindows += 1
            } else {
                kept += 1
                trainedWindows += 1
            }
        }
        return kept
    }

    /// Each window's weighted mean cross-entropy under `model` (forward only) and its weight sum.
    static func windowLosses(model: any LanguageModel, batch: WindowBatch, windows: Int,
                             length: Int) throws -> [(loss: Double, weight: Double)] {
        // Only the positions with a weight are read (a masked model's head runs on its masked rows alone).
        let rows = (0..<(windows * length)).filter { batch.weights[$0] > 0 }
        var sums = [Double](repeating: 0, count: windows), weights = [Double](repeating: 0, count: windows)
        if !rows.isEmpty {
            let logits = try model.forward(tokens: batch.tokens, batch: windows, length: length, rows: rows)
            let losses = logits.losses(targets: rows.map { batch.targets[$0] })
            for (i, r) in rows.enumerated() {
                let w = Double(batch.weights[r])
                sums[r / length] += w * Double(losses[i]); weights[r / length] += w
            }
        }
        return (0..<windows).map { (weights[$0] > 0 ? sums[$0] / weights[$0] : 0, weights[$0]) }
    }
}
