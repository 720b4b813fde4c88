import Foundation

/// The errors of the `Sani` module (the method layer: corpus, spans, erase, repair, audit).
///
/// Every case carries what a user needs to fix the input: the file or line at fault and the reason.
public enum SaniError: Error, Sendable, Equatable {
    /// The corpus could not be read as JSONL or plain text. `line` is 1-based when the fault is on a line.
    case invalidCorpus(line: Int?, reason: String)
    /// The terms file could not be read. `line` is 1-based when the fault is on a line.
    case invalidTerms(line: Int?, reason: String)
    /// A parameter given by the caller is out of its allowed range or inconsistent.
    case invalidArgument(String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// The model could not be loaded or run (the engine's message).
    case model(String)
    /// The work was cancelled by the caller.
    case cancelled
}

extension SaniError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case let .invalidCorpus(line, reason):
            return "invalid corpus\(Self.lineSuffix(line)): \(reason)"
        case let .invalidTerms(line, reason):
            return "invalid terms file\(Self.lineSuffix(line)): \(reason)"
        case let .invalidArgument(message):
            return "invalid argument: \(message)"
        case let .io(path, reason):
            return "cannot access \(path): \(reason)"
        case let .model(message):
            return "model: \(message)"
        case .cancelled:
            return "cancelled"
        }
    }

    public var errorDescription: String? { description }

    private static func lineSuffix(_ line: Int?) -> String {
        line.map { " at line \($0)" } ?? ""
    }
}
