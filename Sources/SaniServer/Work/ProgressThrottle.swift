import Foundation
import Sani

/// Decides which progress reports are written: the job row at most every `rowInterval`, an event at most every
/// `eventInterval` and at every change of phase or epoch. Also estimates training tokens per second.
struct ProgressThrottle {
    let eventInterval: TimeInterval
    let rowInterval: TimeInterval
    let tokensPerStep: Int
    private var lastRow = Date.distantPast
    private var lastEvent = Date.distantPast
    private var lastPhase: SanitizationPhase?
    private var lastEpoch: Int?
    private var rateStart: (at: Date, step: Int, phase: SanitizationPhase, epoch: Int?)?
    private(set) var tokensPerSecond: Double?

    init(eventInterval: TimeInterval, tokensPerStep: Int) {
        self.eventInterval = eventInterval
        self.rowInterval = min(eventInterval, 0.25)
        self.tokensPerStep = tokensPerStep
    }

    /// Returns (write the row, write an event).
    mutating func admit(_ p: SanitizationProgress, now: Date = Date()) -> (row: Bool, event: Bool) {
        let changed = p.phase != lastPhase || p.epoch != lastEpoch
        let finished = p.steps > 0 && p.step >= p.steps
        let event = changed || finished || now.timeIntervalSince(lastEvent) >= eventInterval
        let row = event || now.timeIntervalSince(lastRow) >= rowInterval
        if p.phase == .repair {
            if let start = rateStart, start.phase == .repair, start.epoch == p.epoch, p.step > start.step {
                let seconds = now.timeIntervalSince(start.at)
                if seconds >= 1 {
                    tokensPerSecond = Double((p.step - start.step) * tokensPerStep) / seconds
                    rateStart = (now, p.step, p.phase, p.epoch)
                }
            } else {
                rateStart = (now, p.step, p.phase, p.epoch)
            }
        } else {
            tokensPerSecond = nil
            rateStart = nil
        }
        lastPhase = p.phase
        lastEpoch = p.epoch
        if row { lastRow = now }
        if event { lastEvent = now }
        return (row, event)
    }
}
