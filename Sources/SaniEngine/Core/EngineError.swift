/// Errors raised by the engine. Each carries a message a user can act on.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// A model or weights file is malformed (truncated, bad header, inconsistent offsets...).
    case malformedFile(path: String, reason: String)
    /// A configuration is missing a field or has an unusable value.
    case invalidConfig(String)
    /// A tensor's shape or dtype does not match what the model expects.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// A tensor the model needs is absent from the weights.
    case missingTensor(String)
    /// The element type is not supported.
    case unsupportedDType(tensor: String, dtype: String)
    /// A tokenizer file is malformed or a token cannot be handled.
    case tokenizer(String)
    /// An argument passed to the engine is out of range.
    case invalidArgument(String)
    /// Reading or writing a file failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .malformedFile(path, reason): return "malformed file \(path): \(reason)"
        case let .invalidConfig(message): return "invalid model configuration: \(message)"
        case let .shapeMismatch(tensor, expected, found):
            return "tensor \(tensor) has shape \(found), the configuration expects \(expected)"
        case let .missingTensor(name): return "the weights have no tensor named \(name)"
        case let .unsupportedDType(tensor, dtype): return "tensor \(tensor) has unsupported dtype \(dtype)"
        case let .tokenizer(message): return "tokenizer: \(message)"
        case let .invalidArgument(message): return "invalid argument: \(message)"
        case let .io(path, reason): return "cannot access \(path): \(reason)"
        }
    }
}
