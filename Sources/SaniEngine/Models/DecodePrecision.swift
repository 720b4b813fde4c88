import Foundation

/// Precision of the weights read by a model's decode path (`IncrementalDecoder.decode`).
public enum DecodePrecision: String, Sendable, CaseIterable {
    /// The fp32 weights through BLAS, as every other pass reads them (the default).
    case float32
    /// bf16 copies of the block matrices and the head for products of at most `BF16Matrix.maximumRows` rows
    /// (batch-1 decoding), fp32 accumulation; larger calls keep sgemm on the fp32 weights. Embedding rows, biases
    /// and norms stay fp32. For inference-only phases: the copies take half the fp32 model's size while in use.
    case bfloat16
}

/// A model's bf16 copies of the matrices its decode path reads, made on first use. Each copy belongs to the
/// parameters' version it was made from: the first look-up after the version moved (an AdamW step, a load, a
/// restore, any `markModified()`) drops every copy, so a copy of older values is never read.
final class BF16DecodeWeights: @unchecked Sendable {
    private struct Key: Hashable {
        let offset: Int, inputs: Int, outputs: Int
        let inputMajor: Bool
    }

    private let lock = NSLock()
    private var matrices: [Key: BF16Matrix] = [:]
    private var version: UInt64 = 0

    /// The bf16 copy of the matrix at `offset` in `parameters` (as `Linear.forward` reads it), made now when there
    /// is none for the parameters' current version.
    func matrix(_ parameters: ParameterSet, offset: Int, inputs: Int, outputs: Int, layout: WeightLayout) -> BF16Matrix {
        lock.lock()
        defer { lock.unlock() }
        if version != parameters.version {
            matrices.removeAll()
            version = parameters.version
        }
        let key = Key(offset: offset, inputs: inputs, outputs: outputs, inputMajor: layout == .inputMajor)
        if let m = matrices[key] { return m }
        let m = BF16Matrix(weight: parameters.values.pointer + offset, inputs: inputs, outputs: outputs, layout: layout)
        matrices[key] = m
        return m
    }

    /// Frees every copy.
    func drop() {
        lock.lock()
        matrices.removeAll()
        lock.unlock()
    }

    /// Bytes of the copies held.
    var byteCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return matrices.values.reduce(0) { $0 + $1.byteCount }
    }
}

/// The decode path's matrix products: `Linear.forward` on the fp32 weights, or, with bf16 copies and few enough
/// rows, the bf16 kernel. Without copies it is exactly `Linear.forward` with the same arguments.
struct DecodeProducts {
    let parameters: ParameterSet
    let bf16: BF16DecodeWeights?

    init(parameters: ParameterSet, precision: DecodePrecision, copies: BF16DecodeWeights) {
        self.parameters = parameters
        bf16 = precision == .bfloat16 ? copies : nil
    }

    func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight offset: Int,
                 bias: UnsafePointer<Float>?, rows n: Int, inputs ic: Int, outputs oc: Int,
                 layout: WeightLayout, accumulate: Bool = false) {
        if let bf16, n <= BF16Matrix.maximumRows {
            bf16.matrix(parameters, offset: offset, inputs: ic, outputs: oc, layout: layout)
                .forward(out: out, input: input, bias: bias, rows: n, accumulate: accumulate)
        } else {
            Linear.forward(out: out, input: input, weight: parameters.values.pointer + offset, bias: bias,
                           rows: n, inputs: ic, outputs: oc, layout: layout, accumulate: accumulate)
        }
    }
}
