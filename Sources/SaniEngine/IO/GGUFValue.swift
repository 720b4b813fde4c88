/// One typed metadata value of a GGUF file (the `gguf_type` of the specification).
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    /// An array; GGUF arrays are homogeneous (every element has the array's element type).
    case array([GGUFValue])
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)

    /// The value as an `Int` when it is an integer that fits in one; `nil` otherwise.
    public var int: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        default: return nil
        }
    }

    /// The value as a `Double` when it is a float or an integer; `nil` otherwise.
    public var float: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return int.map(Double.init)
        }
    }

    /// The value when it is a string; `nil` otherwise.
    public var string: String? {
        if case let .string(v) = self { return v }
        return nil
    }

    /// The value when it is a boolean; `nil` otherwise.
    public var bool: Bool? {
        if case let .bool(v) = self { return v }
        return nil
    }

    /// The elements when the value is an array; `nil` otherwise.
    public var array: [GGUFValue]? {
        if case let .array(v) = self { return v }
        return nil
    }

    /// The elements when the value is an array of strings (an empty array counts); `nil` otherwise.
    public var strings: [String]? {
        guard let elements = array else { return nil }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let s = element.string else { return nil }
            result.append(s)
        }
        return result
    }

    /// The elements when the value is an array of integers; `nil` otherwise.
    public var ints: [Int]? {
        guard let elements = array else { return nil }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let v = element.int else { return nil }
            result.append(v)
        }
        return result
    }

    /// The elements when the value is an array of numbers, as `Float`; `nil` otherwise.
    public var floats: [Float]? {
        guard let elements = array else { return nil }
        var result: [Float] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let v = element.float else { return nil }
            result.append(Float(v))
        }
        return result
    }
}
