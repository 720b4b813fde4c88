import Foundation
import Sani

/// A one-line progress bar on standard error when it is a terminal; plain lines (at most one every few seconds)
/// otherwise, so logs stay readable.
final class TerminalProgress: @unchecked Sendable {
    private let isTerminal = isatty(2) == 1
    private let lock = NSLock()
    private var lastPlain = Date.distantPast
    private var lastPhase: String?

    /// `label` names the work in place of the phase (ordinary training is not a repair).
    func update(_ p: SanitizationProgress, label: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        let percent = Int((p.fraction * 100).rounded(.down))
        let eta = p.etaSeconds.map { " ETA \(Self.duration($0))" } ?? ""
        let loss = p.loss.map { String(format: " loss %.3f", $0) } ?? ""
        let epoch = p.epoch.map { " epoch \($0)/\(p.epochs)" } ?? ""
        let detail = "\(label ?? p.phase.rawValue)\(epoch) step \(p.step)/\(p.steps)\(loss)\(eta)"
        if isTerminal {
            let width = 28
            let filled = min(width, Int(p.fraction * Double(width)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2K[\(bar)] \(percent)% \(detail)".utf8))
        } else if Date().timeIntervalSince(lastPlain) > 5 || p.phase.rawValue != lastPhase {
            lastPlain = Date()
            FileHandle.standardError.write(Data("\(percent)% \(detail)\n".utf8))
        }
        lastPhase = p.phase.rawValue
    }

    /// Progress of ordinary training (`sani train`, the demo): epoch and step of `epochs`, ETA since `started`.
    func training(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, started: Date) {
        let fraction = (Double(epoch - 1) + Double(step) / Double(max(1, steps))) / Double(max(1, epochs))
        let elapsed = Date().timeIntervalSince(started)
        update(SanitizationProgress(phase: .repair, epoch: epoch, epochs: epochs, step: step, steps: steps,
                                    fraction: fraction, loss: loss,
                                    etaSeconds: fraction > 0.01 ? elapsed / fraction * (1 - fraction) : nil,
                                    message: "train"), label: "train")
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
            : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
