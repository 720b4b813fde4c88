import Foundation
@testable import SaniEngine
import XCTest

/// The kernels' threading: every index runs exactly once, whether the kernel pool takes the work, a second caller
/// at the same moment falls back to the dispatch pool, or a kernel starts another from inside a chunk.
final class ParallelTests: XCTestCase {
    private static func counts(_ n: Int, minimumChunk: Int = 1, nested: Bool = false) -> [Int] {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: n)
        hits.initialize(repeating: 0, count: n)
        defer { hits.deallocate() }
        let box = UncheckedSendable(hits)
        Parallel.forRanges(n, minimumChunk: minimumChunk) { range in
            for i in range { box.value[i] += 1 }
            if nested {
                // A kernel inside a kernel: must neither deadlock nor lose work.
                var inner = [Int](repeating: 0, count: 64)
                inner.withUnsafeMutableBufferPointer { p in
                    let b = UncheckedSendable(p)
                    Parallel.forRanges(64) { r in for j in r { b.value[j] += 1 } }
                }
                XCTAssertEqual(inner, [Int](repeating: 1, count: 64))
            }
        }
        return Array(UnsafeBufferPointer(start: hits, count: n))
    }

    func testEveryIndexRunsOnce() {
        for n in [1, 2, 3, 17, 1000, 4097] {
            XCTAssertEqual(Self.counts(n), [Int](repeating: 1, count: n), "n = \(n)")
        }
        XCTAssertEqual(Self.counts(10, minimumChunk: 100), [Int](repeating: 1, count: 10))
        XCTAssertEqual(Self.counts(256, nested: true), [Int](repeating: 1, count: 256))
    }

    func testCallersOnSeveralThreadsAtOnce() {
        let failures = UncheckedSendable(UnsafeMutablePointer<Int>.allocate(capacity: 8))
        failures.value.initialize(repeating: 0, count: 8)
        defer { failures.value.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for round in 0..<200 {
                let n = 100 + (t * 37 + round * 11) % 900
                if Self.counts(n) != [Int](repeating: 1, count: n) { failures.value[t] += 1 }
            }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: failures.value, count: 8)), [Int](repeating: 0, count: 8))
    }
}
