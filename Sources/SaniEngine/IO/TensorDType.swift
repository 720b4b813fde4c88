/// Element types that can appear in a safetensors header.
///
/// The raw value is the exact string used in the file. Only the floating-point types `F32`, `F16`, `BF16` and
/// `F64` can be converted to `Float` by the readers; the others are recognised so that a file containing them is
/// still valid, but reading them as floats reports `EngineError.unsupportedDType`.
public enum TensorDType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case f64 = "F64"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u64 = "U64"
    case u32 = "U32"
    case u16 = "U16"
    case u8 = "U8"
    case bool = "BOOL"
    case f8e4m3 = "F8_E4M3"
    case f8e5m2 = "F8_E5M2"
    case f8e8m0 = "F8_E8M0"
    case c64 = "C64"

    /// Size in bytes of one element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64, .c64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2, .f8e8m0: return 1
        }
    }

    /// Whether the readers can convert this type to `Float`.
    public var isConvertibleToFloat: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64: return true
        default: return false
        }
    }

    /// Sub-byte types of the format (packed 4- and 6-bit floats). They are recognised so that a file holding them
    /// is reported as unsupported rather than malformed.
    static let subByteTypeNames: Set<String> = ["F4", "F6_E2M3", "F6_E3M2"]
}
