/// One named tensor inside a model's flat parameter buffer.
public struct ParameterSpec: Sendable, Equatable {
    /// Name as Hugging Face stores it (e.g. `transformer.h.0.mlp.c_fc.weight`).
    public let name: String
    public let shape: [Int]
    /// Offset in floats from the start of the flat buffer.
    public let offset: Int
    /// Whether AdamW applies weight decay (matrices and embeddings yes; biases and norms no).
    public let decays: Bool
    public var count: Int { shape.reduce(1, *) }
}

/// All trainable parameters of a model in one contiguous buffer, with gradients allocated on demand.
/// Keeping them flat makes the optimizer, gradient clipping and checkpoints one loop each.
public final class ParameterSet: @unchecked Sendable {
    public let specs: [ParameterSpec]
    public let values: FloatBuffer
    public private(set) var gradients: FloatBuffer?
    private let index: [String: Int]

    /// Lays out `tensors` (name, shape, decays) one after another.
    public init(_ tensors: [(name: String, shape: [Int], decays: Bool)]) {
        var specs: [ParameterSpec] = []
        var offset = 0
        var index: [String: Int] = [:]
        for t in tensors {
            let spec = ParameterSpec(name: t.name, shape: t.shape, offset: offset, decays: t.decays)
            index[t.name] = specs.count
            specs.append(spec)
            offset += spec.count
        }
        self.specs = specs
        self.index = index
        values = FloatBuffer(count: offset)
    }

    public var count: Int { values.count }

    /// Changes with every change of the values (`values.version`): AdamW steps, loads, restores and resets
    /// announce theirs. Code writing the values through raw pointers calls `markModified()`.
    public var version: UInt64 { values.version }

    /// Records that the values changed, so that copies derived from them (bf16 decode weights) are rebuilt.
    public func markModified() { values.markModified() }

    public func spec(_ name: String) -> ParameterSpec? { index[name].map { specs[$0] } }

    /// Pointer to the values of a parameter, for writing: the values count as changed (`markModified()`), so
    /// write them before the model decodes again (or call `markModified()` after). The name must be one of the
    /// layout's.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let i = index[name] else { preconditionFailure("unknown parameter \(name)") }
        markModified()
        return values.pointer + specs[i].offset
    }

    /// Pointer to the gradient of a parameter; gradients must have been allocated.
    public func gradient(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let i = index[name], let g = gradients else { preconditionFailure("no gradient for \(name)") }
        return g.pointer + specs[i].offset
    }

    /// Allocates (zeroed) gradient storage if absent.
    @discardableResult
    public func ensureGradients() -> FloatBuffer {
        if let g = gradients { return g }
        let g = FloatBuffer(count: values.count)
        gradients = g
        return g
    }

    public func zeroGradients() { gradients?.zero() }

    /// Frees gradient storage (inference only).
    public func dropGradients() { gradients = nil }

    /// Values of one parameter as an array (tests, reports).
    public func array(_ name: String) -> [Float] {
        guard let s = spec(name) else { return [] }
        return Array(UnsafeBufferPointer(start: values.pointer + s.offset, count: s.count))
    }
}
