import COpenBLAS
import Foundation

/// Row-major single-precision matrix products through OpenBLAS.
public enum BLAS {
    /// `C[m, n] = alpha * op(A) * op(B) + beta * C`, all row-major.
    /// `op(A)` is `m × k` (A stored `k × m` when `transA`), `op(B)` is `k × n` (B stored `n × k` when `transB`).
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false,
                             m: Int, n: Int, k: Int,
                             alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// `y[m] = alpha * op(A) x + beta * y` with A row-major `rows × cols`.
    @inline(__always)
    public static func sgemv(trans: Bool = false, rows: Int, cols: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int,
                             x: UnsafePointer<Float>, beta: Float = 0,
                             y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans,
                    blasint(rows), blasint(cols), alpha, a, blasint(lda), x, 1, beta, y, 1)
    }

    /// Number of threads OpenBLAS uses for one product.
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    static var threads: Int { Int(openblas_get_num_threads()) }

    /// Runs `body(i)` for `i` in `0..<count`: independent small products (attention's per-head products, a few
    /// MFLOP each), spread over the engine's threads with OpenBLAS single-threaded inside each. Threading one
    /// such product costs OpenBLAS a hand-over and a wait per call, for little work: on this 2-core machine
    /// 96 score products of GPT-2 at 256 tokens ran at 63 GFLOP/s one after the other on OpenBLAS's two
    /// threads and at 116 GFLOP/s two at a time on one thread each. The products are the same; OpenBLAS may
    /// block one differently on one thread than on two, so a sum can differ in its last bits (5e-6 relative at
    /// most in `BLASTests`). Calls of `body` must not write the same memory.
    public static func independentProducts(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 && Parallel.threadCount > 1 else {
            for i in 0..<count { body(i) }
            return
        }
        SingleThreadedScope.enter()
        defer { SingleThreadedScope.leave() }
        Parallel.forRanges(count) { range in
            for i in range { body(i) }
        }
    }
}

/// OpenBLAS's thread count is one setting for the process: the first of nested or concurrent
/// `independentProducts` sets it to 1, the last restores what it was.
private enum SingleThreadedScope {
    nonisolated(unsafe) private static var depth = 0
    nonisolated(unsafe) private static var saved: Int32 = 1
    private static let lock = NSLock()

    static func enter() {
        lock.lock()
        defer { lock.unlock() }
        if depth == 0 {
            saved = openblas_get_num_threads()
            openblas_set_num_threads(1)
        }
        depth += 1
    }

    static func leave() {
        lock.lock()
        defer { lock.unlock() }
        depth -= 1
        if depth == 0 { openblas_set_num_threads(saved) }
    }
}
