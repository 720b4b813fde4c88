/// One tensor described by a safetensors header.
public struct TensorEntry: Sendable, Equatable {
    /// The tensor's name, e.g. `transformer.h.0.attn.c_attn.weight`.
    public let name: String
    /// The element type stored in the file.
    public let dtype: TensorDType
    /// The shape, outermost dimension first; `[]` is a scalar.
    public let shape: [Int]
    /// Where the tensor's bytes are, as absolute offsets in the file (not relative to the data section).
    public let byteRange: Range<Int>

    public init(name: String, dtype: TensorDType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// Number of elements: the product of the dimensions (1 for a scalar). Validated not to overflow when the
    /// header was parsed.
    public var elementCount: Int { shape.reduce(1, *) }
}
