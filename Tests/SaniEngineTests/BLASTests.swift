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
}
