import Foundation
import Sani
import SaniEngine

/// What the workers call to check and run a job. `SanitizerExecutor` is the real one; tests substitute fakes.
public protocol JobExecutor: Sendable {
    /// Quick checks before the job is queued; throws an error whose message a user can act on.
    func validate(inputs: SanitizationInputs, options: SanitizationOptions) throws
    /// Blocking and CPU heavy: writes the sanitized folder into `inputs.output`, resumes from `inputs.checkpoints`
    /// when a checkpoint is there, and throws `SaniError.cancelled` once `isCancelled()` turns true.
    func run(inputs: SanitizationInputs, options: SanitizationOptions,
             progress: @escaping @Sendable (SanitizationProgress) -> Void,
             isCancelled: @escaping CancellationCheck) throws -> JobOutcome
}

/// What the server keeps of a finished sanitization: the method's report as JSON, and its headline figures.
public struct JobOutcome: Sendable {
    public var reportJSON: Data
    public var tokenRegurgitationBefore: Double
    public var tokenRegurgitationAfter: Double
    public var spanExtractionBefore: Double
    public var spanExtractionAfter: Double

    public init(reportJSON: Data, tokenRegurgitationBefore: Double, tokenRegurgitationAfter: Double,
                spanExtractionBefore: Double, spanExtractionAfter: Double) {
        self.reportJSON = reportJSON
        self.tokenRegurgitationBefore = tokenRegurgitationBefore
        self.tokenRegurgitationAfter = tokenRegurgitationAfter
        self.spanExtractionBefore = spanExtractionBefore
        self.spanExtractionAfter = spanExtractionAfter
    }

    public init(report: SanitizationReport) throws {
        // Non-finite figures (an undefined perplexity) are encoded as strings, as in the saved report.
        let encoder = ReportJSON.encoder()
        encoder.outputFormatting = [.sortedKeys]
        self.init(reportJSON: try encoder.encode(report),
                  tokenRegurgitationBefore: report.before.tokenRegurgitation.rate,
                  tokenRegurgitationAfter: report.after.tokenRegurgitation.rate,
                  spanExtractionBefore: report.before.spanExtraction.rate,
                  spanExtractionAfter: report.after.spanExtraction.rate)
    }
}

/// Runs the SANI method in process.
public struct SanitizerExecutor: JobExecutor {
    public init() {}

    public func validate(inputs: SanitizationInputs, options: SanitizationOptions) throws {
        _ = try Sanitizer.validate(inputs: inputs, options: options)
    }

    public func run(inputs: SanitizationInputs, options: SanitizationOptions,
                    progress: @escaping @Sendable (SanitizationProgress) -> Void,
                    isCancelled: @escaping CancellationCheck) throws -> JobOutcome {
        try JobOutcome(report: Sanitizer(inputs: inputs, options: options).run(progress: progress, isCancelled: isCancelled))
    }
}

/// Turns an error of the method or the engine into a failure code and a message for the job's `error`.
enum FailureReason {
    /// The code and message a job records for `error`; server paths in the message are cut to their last
    /// component (a file id), so the API never shows where the server keeps its data.
    static func from(_ error: any Error) -> (code: String, message: String) {
        let reason = unscrubbed(error)
        return (reason.code, scrubPaths(reason.message))
    }

    static func scrubPaths(_ message: String) -> String {
        // An absolute path starts the message or follows a space, quote or parenthesis.
        message.replacing(#/(^|[\s('"])/(?:[^\s/:()'"]+/)+([^\s/:()'"]*)/#) { $0.output.1 + $0.output.2 }
    }

    private static func unscrubbed(_ error: any Error) -> (code: String, message: String) {
        if let e = error as? JobFailure {
            switch e { case .storageFull(let stage): return StorageFull.jobFailure(stage) }
        }
        if (error as? SaniError) != .cancelled, StorageFull.matches(error) {
            return StorageFull.jobFailure("writing the job's checkpoint or sanitized model")
        }
        if let e = error as? SaniError {
            switch e {
            case .invalidCorpus: return ("invalid_corpus", e.description)
            case .invalidTerms: return ("invalid_terms", e.description)
            case .invalidArgument: return ("invalid_options", e.description)
            case .io: return ("io_error", e.description)
            case .model: return ("invalid_model", e.description)
            case .cancelled: return ("cancelled", "cancelled")
            }
        }
        if let e = error as? EngineError { return ("invalid_model", "model: \(e)") }
        if let e = error as? LocalizedError, let d = e.errorDescription { return ("internal_error", d) }
        return ("internal_error", "\(error)")
    }
}

/// Failures of a job that the server itself names (beyond the method's errors).
enum JobFailure: Error {
    /// The disk of the data folder filled up at this stage.
    case storageFull(String)
}
