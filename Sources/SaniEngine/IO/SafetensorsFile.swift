import Foundation

/// A safetensors file, memory-mapped, with its header parsed and fully validated at open time.
///
/// Reads are thread-safe: the object is immutable after `init` and only reads from the read-only mapping.
public final class SafetensorsFile: @unchecked Sendable {
    /// Where the file is.
    public let url: URL
    /// The header's `"__metadata__"` map (empty when absent).
    public let metadata: [String: String]
    /// Tensor names in the order of their data offsets.
    public let names: [String]

    private let mapping: ReadOnlyFileMapping
    private let entries: [String: TensorEntry]

    /// Maps the file and validates its header.
    /// - Throws: `EngineError.io` when the file cannot be opened, `EngineError.malformedFile` with a precise
    ///   reason for any inconsistency, `EngineError.unsupportedDType` for sub-byte element types.
    public init(url: URL) throws {
        self.url = url
        mapping = try ReadOnlyFileMapping(path: url.path)
        let header = try SafetensorsHeader.parse(file: mapping.bytes, path: url.path)
        metadata = header.metadata
        names = header.entries.map(\.name)
        entries = Dictionary(header.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The entry for `name`, or `nil` when the file has no such tensor.
    public func entry(_ name: String) -> TensorEntry? { entries[name] }

    /// The raw stored bytes of tensor `name` (valid while this object lives).
    /// - Throws: `EngineError.missingTensor`.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let entry = entries[name] else { throw EngineError.missingTensor(name) }
        return try body(UnsafeRawBufferPointer(rebasing: mapping.bytes[entry.byteRange]))
    }

    /// Converts tensor `name` to `Float` into `destination`, which must hold exactly `count` elements.
    /// - Throws: `EngineError.missingTensor`; `EngineError.shapeMismatch` when `count` differs from the tensor's
    ///   element count; `EngineError.unsupportedDType` for types other than F32, F16, BF16 and F64.
    public func read(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        guard let entry = entries[name] else { throw EngineError.missingTensor(name) }
        guard entry.dtype.isConvertibleToFloat else {
            throw EngineError.unsupportedDType(tensor: name, dtype: entry.dtype.rawValue)
        }
        guard count == entry.elementCount else {
            throw EngineError.shapeMismatch(tensor: name, expected: [count], found: entry.shape)
        }
        guard count > 0, let base = mapping.base else { return }
        FloatConversion.convert(entry.dtype, from: base + entry.byteRange.lowerBound, to: destination, count: count)
    }

    /// Tensor `name` converted to `Float`, flattened in row-major order.
    /// - Throws: as `read(_:into:count:)`.
    public func floats(_ name: String) throws -> [Float] {
        guard let entry = entries[name] else { throw EngineError.missingTensor(name) }
        let count = entry.elementCount
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { try read(name, into: base, count: count) }
            initialized = count
        }
    }
}
