import Foundation
import XCTest
@testable import SaniEngine

final class BLASTests: XCTestCase {
    func testSgemmTransposes() {
        // A 2x3, B 3x2
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        let b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: 0, count: 4)
        BLAS.sgemm(m: 2, n: 2, k: 3, a: a, lda: 3, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [58, 64, 139, 154])
        // A^T stored as 3x2 -> use transA
        let at: [Float] = [1, 4, 2, 5, 3, 6]
        BLAS.sgemm(transA: true, m: 2, n: 2, k: 3, a: at, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [58, 64, 139, 154])
    }

    func testRecommendedCoreType() {
        XCTAssertEqual(OpenBLASRuntime.recommendedCoreType(current: "Prescott", flags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl"]), "SKYLAKEX")
        XCTAssertNil(OpenBLASRuntime.recommendedCoreType(current: "SkylakeX", flags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl"]))
        XCTAssertEqual(OpenBLASRuntime.recommendedCoreType(current: "Prescott", flags: ["avx2", "fma"]), "HASWELL")
        XCTAssertNil(OpenBLASRuntime.recommendedCoreType(current: "Prescott", flags: ["sse3"]))
    }

    /// The variables the entry point re-executes with: the thread timeout always, the core type only when
    /// OpenBLAS's own choice is generic, and never one the operator set.
    func testEnvironmentChangesKeepTheOperatorsVariables() {
        let avx2: Set<String> = ["avx2", "fma"]
        XCTAssertEqual(OpenBLASRuntime.environmentChanges(environment: [:], current: "Zen", flags: avx2),
                       ["OPENBLAS_THREAD_TIMEOUT": OpenBLASRuntime.threadTimeout])
        XCTAssertEqual(OpenBLASRuntime.environmentChanges(environment: [:], current: "Prescott", flags: avx2),
                       ["OPENBLAS_THREAD_TIMEOUT": OpenBLASRuntime.threadTimeout, "OPENBLAS_CORETYPE": "HASWELL"])
        XCTAssertEqual(OpenBLASRuntime.environmentChanges(environment: ["OPENBLAS_THREAD_TIMEOUT": "28"],
                                                          current: "Prescott", flags: avx2),
                       ["OPENBLAS_CORETYPE": "HASWELL"])
        XCTAssertEqual(OpenBLASRuntime.environmentChanges(environment: ["OPENBLAS_THREAD_TIMEOUT": "28",
                                                                        "OPENBLAS_CORETYPE": "PRESCOTT"],
                                                          current: "Prescott", flags: avx2), [:])
    }
}

final class VectorMathTests: XCTestCase {
    func testExpAndTanhAccuracy() {
        var worstExp: Float = 0, worstTanh: Float = 0
        var x: Float = -87
        while x < 88 {
            let e = VectorMath.exp(x), ref = Foundation.exp(x)
            worstExp = max(worstExp, abs(e - ref) / ref)
            x += 0.0137
        }
        x = -12
        while x < 12 {
            worstTanh = max(worstTanh, abs(VectorMath.tanh(x) - Foundation.tanh(x)))
            x += 0.00093
        }
        XCTAssertLessThan(worstExp, 3e-7)
        XCTAssertLessThan(worstTanh, 3e-7)
        XCTAssertEqual(VectorMath.exp(-200), Foundation.exp(-87.33654), accuracy: 1e-40)
        XCTAssertTrue(VectorMath.exp(200).isFinite)
    }
}

final class SgemmCorrectnessTests: XCTestCase {
    /// OpenBLAS kernels are picked per CPU at load time; check the ones in use against a double-precision
    /// reference over many shapes, transposes and strides (small, odd and blocked sizes).
    func testSgemmMatchesReferenceOverShapes() {
        var rng = RandomSource(seed: 11)
        let sizes = [1, 2, 3, 7, 16, 17, 31, 64, 65, 100, 129, 257]
        for trial in 0..<60 {
            let m = sizes[Int(rng.next() % UInt64(sizes.count))]
            let n = sizes[Int(rng.next() % UInt64(sizes.count))]
            let k = sizes[Int(rng.next() % UInt64(sizes.count))]
            let ta = trial % 2 == 1, tb = (trial / 2) % 2 == 1
            let a = (0..<(m * k)).map { _ in rng.nextNormal() }
            let b = (0..<(k * n)).map { _ in rng.nextNormal() }
            var c = (0..<(m * n)).map { _ in rng.nextNormal() }
            let c0 = c
            BLAS.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: ta ? m : k,
                       b: b, ldb: tb ? k : n, beta: 1, c: &c, ldc: n)
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k {
                        let av = Double(ta ? a[p * m + i] : a[i * k + p])
                        let bv = Double(tb ? b[j * k + p] : b[p * n + j])
                        s += av * bv
                    }
                    let ref = 0.5 * s + Double(c0[i * n + j])
                    worst = max(worst, abs(Double(c[i * n + j]) - ref) / (1 + abs(ref)))
                }
            }
            XCTAssertLessThan(worst, 1e-4, "m \(m) n \(n) k \(k) transA \(ta) transB \(tb) on \(OpenBLASRuntime.coreName)")
        }
    }

    /// Independent products run with OpenBLAS on one thread each (the thread count is restored afterwards, also
    /// after a nested call), and give the same products as those run one after the other, to float rounding.
    func testIndependentProductsMatchTheSequentialProducts() {
        let count = 12, m = 96, n = 80, k = 64
        var rng = RandomSource(seed: 9)
        let a = FloatBuffer(count: count * m * k), b = FloatBuffer(count: count * k * n)
        rng.fillNormal(a.pointer, a.count, std: 1)
        rng.fillNormal(b.pointer, b.count, std: 1)
        let sequential = FloatBuffer(count: count * m * n), spread = FloatBuffer(count: count * m * n)
        for i in 0..<count {
            BLAS.sgemm(m: m, n: n, k: k, a: a.pointer + i * m * k, lda: k, b: b.pointer + i * k * n, ldb: n,
                       c: sequential.pointer + i * m * n, ldc: n)
        }
        let before = BLAS.threads
        let inside = ThreadCounts()
        BLAS.independentProducts(count) { i in
            inside.add(BLAS.threads)
            BLAS.independentProducts(1) { _ in }
            BLAS.sgemm(m: m, n: n, k: k, a: a.pointer + i * m * k, lda: k, b: b.pointer + i * k * n, ldb: n,
                       c: spread.pointer + i * m * n, ldc: n)
        }
        // The same products: OpenBLAS may block a product differently on one thread than on two, so the sums can
        // differ in their last bits, never more.
        var worst: Float = 0
        for i in 0..<spread.count {
            worst = max(worst, abs(spread.pointer[i] - sequential.pointer[i]) / max(1, abs(sequential.pointer[i])))
        }
        print("independent products against sequential ones: largest relative difference \(worst)")
        XCTAssertLessThan(worst, 1e-4)
        XCTAssertEqual(BLAS.threads, before, "the thread count is restored")
        if Parallel.threadCount > 1 {
            XCTAssertEqual(inside.values, Set([1]), "one OpenBLAS thread inside")
        }
    }
}

private final class ThreadCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = Set<Int>()
    func add(_ n: Int) { lock.lock(); seen.insert(n); lock.unlock() }
    var values: Set<Int> { lock.lock(); defer { lock.unlock() }; return seen }
}
