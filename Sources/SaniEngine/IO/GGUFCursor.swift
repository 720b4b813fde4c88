/// Bounds-checked little-endian reading of a GGUF header from a mapped buffer.
///
/// Every read checks the remaining length first and throws `EngineError.malformedFile` instead of reading past the
/// end; counts read from the file are checked against what the remaining bytes could hold before anything is
/// allocated for them, so a corrupt count can never cause a giant allocation.
struct GGUFCursor {
    /// Nesting limit for arrays of arrays (the format allows nesting; real files never nest).
    static let maximumArrayDepth = 4

    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var position: Int = 0

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Bytes left after the current position.
    var remaining: Int { bytes.count - position }

    func malformed(_ reason: String) -> EngineError {
        EngineError.malformedFile(path: path, reason: reason)
    }

    /// Ensures `count` more bytes exist; `what` names the field in the error.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw malformed("truncated: \(what()) needs \(count) bytes at offset \(position), "
                + "only \(remaining) remain")
        }
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, what())
        guard let base = bytes.baseAddress else { throw malformed("empty file") }
        let value = T(littleEndian: base.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return value
    }

    /// Reads a `uint64` count and checks that `count` items of at least `minimumItemSize` bytes each fit in what
    /// remains of the file.
    mutating func count(minimumItemSize: Int, _ what: @autoclosure () -> String) throws -> Int {
        let raw = try load(UInt64.self, what())
        let limit = UInt64(remaining / max(1, minimumItemSize))
        guard raw <= limit else {
            throw malformed("\(what()) is \(raw), more than the \(remaining) remaining bytes can hold")
        }
        return Int(raw)
    }

    /// Reads a GGUF string: a `uint64` byte length then UTF-8 bytes (no terminator).
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let length = try count(minimumItemSize: 1, "length of \(what())")
        guard let base = bytes.baseAddress else { throw malformed("empty file") }
        let raw = UnsafeRawBufferPointer(start: base + position, count: length)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw malformed("\(what()) at offset \(position) is not valid UTF-8")
        }
        position += length
        return text
    }

    /// Smallest number of bytes a value of `type` can take (used to bound array lengths).
    static func minimumSize(ofValueType type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return 1
        }
    }

    /// Reads one value of the given `gguf_type` code.
    mutating func value(type: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case 0: return .uint8(try load(UInt8.self, "value of \(key)"))
        case 1: return .int8(try load(Int8.self, "value of \(key)"))
        case 2: return .uint16(try load(UInt16.self, "value of \(key)"))
        case 3: return .int16(try load(Int16.self, "value of \(key)"))
        case 4: return .uint32(try load(UInt32.self, "value of \(key)"))
        case 5: return .int32(try load(Int32.self, "value of \(key)"))
        case 6: return .float32(Float(bitPattern: try load(UInt32.self, "value of \(key)")))
        case 7:
            let byte = try load(UInt8.self, "value of \(key)")
            guard byte <= 1 else { throw malformed("boolean \(key) has byte value \(byte) (must be 0 or 1)") }
            return .bool(byte == 1)
        case 8: return .string(try string("string value of \(key)"))
        case 9:
            guard depth < Self.maximumArrayDepth else {
                throw malformed("arrays nested more than \(Self.maximumArrayDepth) deep in \(key)")
            }
            let elementType = try load(UInt32.self, "array type of \(key)")
            guard elementType <= 12 else {
                throw malformed("array \(key) has unknown element type \(elementType)")
            }
            let n = try count(minimumItemSize: Self.minimumSize(ofValueType: elementType), "array length of \(key)")
            var elements: [GGUFValue] = []
            elements.reserveCapacity(n)
            for _ in 0..<n {
                elements.append(try value(type: elementType, key: key, depth: depth + 1))
            }
            return .array(elements)
        case 10: return .uint64(try load(UInt64.self, "value of \(key)"))
        case 11: return .int64(try load(Int64.self, "value of \(key)"))
        case 12: return .float64(Double(bitPattern: try load(UInt64.self, "value of \(key)")))
        default: throw malformed("metadata \(key) has unknown value type \(type)")
        }
    }

}
