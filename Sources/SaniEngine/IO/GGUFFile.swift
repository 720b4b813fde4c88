import Foundation

/// Where one tensor of a GGUF file lives and how it is stored.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// Dimensions as stored by ggml: `ne0` first (the fastest-varying, contiguous dimension). A PyTorch
    /// `[out, in]` weight is stored as `[in, out]`.
    public let dimensions: [Int]
    /// Element type.
    public let type: GGMLType
    /// Absolute byte offset of the data in the file.
    public let offset: Int
    /// Number of elements (product of the dimensions).
    public let elementCount: Int
    /// Number of bytes of the data.
    public let byteCount: Int
}

/// A GGUF model file (versions 2 and 3), memory-mapped and validated when opened.
///
/// Opening parses the header, the typed metadata and the tensor infos, and checks that every tensor's data is
/// aligned, inside the file and disjoint from the others; a file that passes can be read without further bounds
/// checks. Tensor data is only touched by `read(_:into:count:)`, which dequantizes to `Float`.
public final class GGUFFile: @unchecked Sendable {
    /// The `GGUF` magic, as a little-endian `uint32`.
    static let magic: UInt32 = 0x4655_4747
    /// Data alignment when `general.alignment` is absent.
    public static let defaultAlignment = 32
    /// ggml's limit on the number of dimensions.
    static let maximumDimensions = 4

    /// Path of the file, for messages.
    public let path: String
    /// Format version (2 or 3).
    public let version: Int
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of tensor data (from `general.alignment`, default 32).
    public let alignment: Int
    /// Absolute offset of the tensor data section.
    public let dataOffset: Int

    private let mapping: ReadOnlyFileMapping
    private let index: [String: Int]

    /// Maps and validates the GGUF file at `url`. Throws `EngineError.io` when the file cannot be read,
    /// `EngineError.malformedFile` when its structure is invalid, `EngineError.unsupportedDType` for a tensor type
    /// this reader does not know.
    public init(url: URL) throws {
        path = url.path
        mapping = try ReadOnlyFileMapping(path: url.path)
        var cursor = GGUFCursor(bytes: mapping.bytes, path: path)

        let magic = try cursor.load(UInt32.self, "magic")
        guard magic == Self.magic else {
            throw cursor.malformed("not a GGUF file (magic is 0x\(String(magic, radix: 16)), expected \"GGUF\")")
        }
        let rawVersion = try cursor.load(UInt32.self, "version")
        guard rawVersion == 2 || rawVersion == 3 else {
            let swapped = rawVersion.byteSwapped
            let hint = swapped == 2 || swapped == 3 ? " (a big-endian file, which is not supported)" : ""
            throw cursor.malformed("unsupported GGUF version \(rawVersion)\(hint); versions 2 and 3 are supported")
        }
        version = Int(rawVersion)
        // A tensor info takes at least 8 (name length) + 4 (n_dims) + 8 (one dimension) + 4 (type) + 8 (offset).
        let tensorCount = try cursor.count(minimumItemSize: 32, "tensor count")
        // A metadata pair takes at least 8 (key length) + 4 (type) + 1 (smallest value).
        let kvCount = try cursor.count(minimumItemSize: 13, "metadata count")

        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(kvCount)
        keys.reserveCapacity(kvCount)
        for i in 0..<kvCount {
            let key = try cursor.string("key of metadata pair \(i)")
            let type = try cursor.load(UInt32.self, "value type of \(key)")
            let value = try cursor.value(type: type, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw cursor.malformed("metadata key \(key) appears twice")
            }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        var alignment = Self.defaultAlignment
        if let value = metadata["general.alignment"] {
            guard let a = value.int, a > 0, a.nonzeroBitCount == 1 else {
                throw cursor.malformed("general.alignment is \(value), expected a power of two")
            }
            alignment = a
        }
        self.alignment = alignment

        var relative: [(name: String, dimensions: [Int], type: GGMLType, offset: Int, elements: Int, bytes: Int)] = []
        relative.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        index.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            let name = try cursor.string("name of tensor \(i)")
            guard index[name] == nil else { throw cursor.malformed("tensor \(name) appears twice") }
            index[name] = i
            let info = try Self.readTensorInfo(&cursor, name: name, alignment: alignment)
            relative.append((name, info.dimensions, info.type, info.offset, info.elements, info.bytes))
        }
        self.index = index

        let (padded, paddingOverflow) = cursor.position.addingReportingOverflow(alignment - 1)
        guard !paddingOverflow else { throw cursor.malformed("data section offset overflows") }
        dataOffset = padded / alignment * alignment
        let fileSize = mapping.count
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(tensorCount)
        for t in relative {
            let (start, overflow) = dataOffset.addingReportingOverflow(t.offset)
            guard !overflow, start <= fileSize, t.bytes <= fileSize - start else {
                throw cursor.malformed("tensor \(t.name): data at offset \(t.offset) + \(t.bytes) bytes "
                    + "goes beyond the end of the file (data section starts at \(dataOffset), file is \(fileSize) bytes)")
            }
            tensors.append(GGUFTensorInfo(name: t.name, dimensions: t.dimensions, type: t.type, offset: start,
                                          elementCount: t.elements, byteCount: t.bytes))
        }
        let sorted = tensors.sorted { $0.offset < $1.offset }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.offset < previous.offset + previous.byteCount {
            throw cursor.malformed("tensors \(previous.name) and \(next.name) overlap")
        }
        self.tensors = tensors
    }

    /// Reads one tensor info after its name and checks its shape, type and relative offset.
    private static func readTensorInfo(_ cursor: inout GGUFCursor, name: String, alignment: Int) throws
        -> (dimensions: [Int], type: GGMLType, offset: Int, elements: Int, bytes: Int) {
        let dimensionCount = try cursor.load(UInt32.self, "dimension count of \(name)")
        guard dimensionCount >= 1, dimensionCount <= maximumDimensions else {
            throw cursor.malformed("tensor \(name) has \(dimensionCount) dimensions (1 to \(maximumDimensions) allowed)")
        }
        var dimensions: [Int] = []
        var elements = 1
        for d in 0..<Int(dimensionCount) {
            let raw = try cursor.load(Int64.self, "dimension \(d) of \(name)")
            guard raw > 0 else { throw cursor.malformed("tensor \(name) has dimension \(d) = \(raw) (must be positive)") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(raw))
            guard !overflow else { throw cursor.malformed("tensor \(name): element count overflows") }
            dimensions.append(Int(raw))
            elements = product
        }
        let rawType = try cursor.load(UInt32.self, "type of \(name)")
        guard let type = GGMLType(rawValue: rawType) else {
            throw EngineError.unsupportedDType(tensor: name, dtype: "ggml type \(rawType)")
        }
        guard dimensions[0] % type.blockSize == 0 else {
            throw cursor.malformed("tensor \(name): first dimension \(dimensions[0]) is not a multiple of the "
                + "block size \(type.blockSize) of \(type.name)")
        }
        let (bytes, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.bytesPerBlock)
        guard !overflow else { throw cursor.malformed("tensor \(name): byte count overflows") }
        let rawOffset = try cursor.load(UInt64.self, "offset of \(name)")
        guard rawOffset <= UInt64(Int.max) else { throw cursor.malformed("tensor \(name): offset \(rawOffset) overflows") }
        let offset = Int(rawOffset)
        guard offset % alignment == 0 else {
            throw cursor.malformed("tensor \(name): offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        return (dimensions, type, offset, elements, bytes)
    }

    /// The info of the tensor named `name`, or `nil`.
    public func tensor(_ name: String) -> GGUFTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The raw bytes of a tensor's data (valid as long as this object lives).
    func rawBytes(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        guard let base = mapping.base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + info.offset, count: info.byteCount)
    }

    /// Converts the tensor `name` to `Float` into `destination`, which must hold exactly its element count, in
    /// ggml order (`ne0` fastest). Throws `missingTensor`, `invalidArgument` for a wrong `count`, and
    /// `unsupportedDType` for a type that cannot be dequantized.
    public func read(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        guard let info = tensor(name) else { throw EngineError.missingTensor(name) }
        guard count == info.elementCount else {
            throw EngineError.invalidArgument("tensor \(name) has \(info.elementCount) elements, \(count) requested")
        }
        guard info.type.isDequantizable else {
            throw EngineError.unsupportedDType(tensor: name, dtype: info.type.name)
        }
        guard let source = rawBytes(info).baseAddress else { return }
        GGUFDequantize.convert(info.type, from: source, to: destination, count: count)
    }

    /// The tensor `name` converted to `Float`, in ggml order (`ne0` fastest).
    public func floats(_ name: String) throws -> [Float] {
        guard let info = tensor(name) else { throw EngineError.missingTensor(name) }
        let count = info.elementCount
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { try read(name, into: base, count: count) }
            initialized = count
        }
    }
}
