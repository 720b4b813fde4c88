/// Affine maps through BLAS. Weights are stored `[in, out]` row-major (GPT-2's Conv1D layout) or
/// `[out, in]` (nn.Linear layout) as `WeightLayout` says.
public enum WeightLayout: Sendable {
    /// `[in, out]`: `y = x W`.
    case inputMajor
    /// `[out, in]`: `y = x Wᵀ`.
    case outputMajor
}

public enum Linear {
    /// `out[n, oc] = input[n, ic] · W + bias` (bias optional). `accumulate` adds to `out` instead of overwriting.
    public static func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               rows n: Int, inputs ic: Int, outputs oc: Int,
                               layout: WeightLayout, accumulate: Bool = false) {
        if n == 1 {
            // Matrix-vector: memory bound, gemv streams the weights once.
            switch layout {
            case .inputMajor:
                BLAS.sgemv(trans: true, rows: ic, cols: oc, a: weight, lda: oc, x: input,
                           beta: accumulate ? 1 : 0, y: out)
            case .outputMajor:
                BLAS.sgemv(trans: false, rows: oc, cols: ic, a: weight, lda: ic, x: input,
                           beta: accumulate ? 1 : 0, y: out)
            }
        } else {
            switch layout {
            case .inputMajor:
                BLAS.sgemm(m: n, n: oc, k: ic, a: input, lda: ic, b: weight, ldb: oc,
                           beta: accumulate ? 1 : 0, c: out, ldc: oc)
            case .outputMajor:
                BLAS.sgemm(transB: true, m: n, n: oc, k: ic, a: input, lda: ic, b: weight, ldb: ic,
                           beta: accumulate ? 1 : 0, c: out, ldc: oc)
            }
        }
        if let bias {
            Parallel.forRanges(n, minimumChunk: 64) { range in
                for r in range { VectorMath.add(bias, out + r * oc, oc) }
            }
        }
    }

    /// Backward: `dinput += dout · Wᵀ` (when `dinput` given; overwritten instead when `overwriteInput`),
    /// `dweight += inputᵀ · dout`, `dbias += Σ dout`.
    public static func backward(dinput: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rows n: Int, inputs ic: Int, outputs oc: Int, layout: WeightLayout,
                                overwriteInput: Bool = false) {
        let beta: Float = overwriteInput ? 0 : 1
        switch layout {
        case .inputMajor:
            if let dinput {
                BLAS.sgemm(transB: true, m: n, n: ic, k: oc, a: dout, lda: oc, b: weight, ldb: oc,
                           beta: beta, c: dinput, ldc: ic)
            }
            BLAS.sgemm(transA: true, m: ic, n: oc, k: n, a: input, lda: ic, b: dout, ldb: oc,
                       beta: 1, c: dweight, ldc: oc)
        case .outputMajor:
            if let dinput {
                BLAS.sgemm(m: n, n: ic, k: oc, a: dout, lda: oc, b: weight, ldb: ic,
                           beta: beta, c: dinput, ldc: ic)
            }
            BLAS.sgemm(transA: true, m: oc, n: ic, k: n, a: dout, lda: oc, b: input, ldb: ic,
                       beta: 1, c: dweight, ldc: ic)
        }
        if let dbias { columnSums(dout, rows: n, cols: oc, into: dbias) }
    }

    /// `into[j] += Σ_r m[r, j]`, threaded over column blocks.
    public static func columnSums(_ m: UnsafePointer<Float>, rows n: Int, cols: Int,
                                  into: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(cols, minimumChunk: 64) { range in
            let width = range.count
            for r in 0..<n {
                VectorMath.add(m + r * cols + range.lowerBound, into + range.lowerBound, width)
            }
        }
    }
}
