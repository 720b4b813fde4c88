/// The element types of GGUF tensors (`ggml_type`), with their block layout.
///
/// Quantized types store elements in blocks: `blockSize` consecutive elements of the first (fastest) dimension
/// take `bytesPerBlock` bytes. Plain types have blocks of one element.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case q8_K = 15
    case iq2_xxs = 16
    case iq2_xs = 17
    case iq3_xxs = 18
    case iq1_s = 19
    case iq4_nl = 20
    case iq3_s = 21
    case iq2_s = 22
    case iq4_xs = 23
    case i8 = 24
    case i16 = 25
    case i32 = 26
    case i64 = 27
    case f64 = 28
    case iq1_m = 29
    case bf16 = 30
    case tq1_0 = 34
    case tq2_0 = 35

    /// Elements per block (256 for the K-quants and i-quants, 32 for the legacy quants, 1 for plain types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl: return 32
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s, .iq2_s,
             .iq4_xs, .iq1_m, .tq1_0, .tq2_0: return 256
        }
    }

    /// Bytes of one block, as laid out by ggml.
    public var bytesPerBlock: Int {
        switch self {
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .f64, .i64: return 8
        case .i8: return 1
        case .q4_0, .iq4_nl: return 18        // f16 d, 16 bytes of nibbles
        case .q4_1: return 20                 // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: return 22                 // f16 d, 4 bytes of high bits, 16 bytes of nibbles
        case .q5_1: return 24                 // f16 d, f16 m, 4 bytes of high bits, 16 bytes of nibbles
        case .q8_0: return 34                 // f16 d, 32 int8
        case .q8_1: return 36                 // f16 d, f16 s, 32 int8
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        case .q8_K: return 292
        case .iq2_xxs: return 66
        case .iq2_xs: return 74
        case .iq3_xxs: return 98
        case .iq1_s: return 50
        case .iq3_s: return 110
        case .iq2_s: return 82
        case .iq4_xs: return 136
        case .iq1_m: return 56
        case .tq1_0: return 54
        case .tq2_0: return 66
        }
    }

    /// The name ggml gives the type (`Q4_0`, `F16`...), used in messages.
    public var name: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .f64: return "F64"
        case .i8: return "I8"
        case .i16: return "I16"
        case .i32: return "I32"
        case .i64: return "I64"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q8_1: return "Q8_1"
        case .q2_K: return "Q2_K"
        case .q3_K: return "Q3_K"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        case .q8_K: return "Q8_K"
        case .iq2_xxs: return "IQ2_XXS"
        case .iq2_xs: return "IQ2_XS"
        case .iq3_xxs: return "IQ3_XXS"
        case .iq1_s: return "IQ1_S"
        case .iq4_nl: return "IQ4_NL"
        case .iq3_s: return "IQ3_S"
        case .iq2_s: return "IQ2_S"
        case .iq4_xs: return "IQ4_XS"
        case .iq1_m: return "IQ1_M"
        case .tq1_0: return "TQ1_0"
        case .tq2_0: return "TQ2_0"
        }
    }

    /// Whether `GGUFFile.read` can convert tensors of this type to `Float`.
    public var isDequantizable: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1,
             .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: return true
        default: return false
        }
    }
}
