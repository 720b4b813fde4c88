import XCTest
@testable import SaniEngine

/// Cached attention with runs of rows of one sequence (a prompt placed in the cache) going through BLAS in blocks,
/// against the same rows taken one at a time.
final class CachedAttentionTests: XCTestCase {
    func testRunsOfRowsEqualRowsOneAtATime() {
        let block = CausalAttention.blockRows
        for (heads, kvHeads, hs) in [(4, 2, 8), (3, 3, 16)] {
            let width = kvHeads * hs, queryStride = heads * hs + 5
            let capacity = 3 * block
            let cache = KVCache(layers: 2, sequences: 3, capacity: capacity, width: width)
            cache.startPositions = [0, 5, 2]
            var rng = RandomSource(seed: UInt64(heads))
            rng.fillNormal(cache.keys.pointer, cache.keys.count, std: 1.5)
            rng.fillNormal(cache.values.pointer, cache.values.count, std: 1)
            // A long prompt crossing blocks, a run continuing a sequence deep in its slot, runs too short for
            // BLAS, and single rows, mixed the way a batched decode step mixes them.
            var rows: [DecodeRow] = []
            rows += (5..<(5 + 2 * block + 11)).map { DecodeRow(sequence: 1, position: $0, token: 0) }
            rows.append(DecodeRow(sequence: 0, position: 40, token: 0))
            rows += (2..<(2 + CachedAttention.minimumRun - 1)).map { DecodeRow(sequence: 2, position: $0, token: 0) }
            rows += (41..<(41 + block + 3)).map { DecodeRow(sequence: 0, position: $0, token: 0) }
            rows.append(DecodeRow(sequence: 2, position: 90, token: 0))
            let queries = FloatBuffer(count: rows.count * queryStride)
            rng.fillNormal(queries.pointer, queries.count, std: 1.5)
            let outStride = heads * hs
            var results: [[Float]] = []
            for minimumRun in [CachedAttention.minimumRun, Int.max] {
                let out = FloatBuffer(count: rows.count * outStride)
                out.pointer.update(repeating: .nan, count: out.count)
                CachedAttention.run(out: out.pointer, outStride: outStride, queries: queries.pointer,
                                    queryStride: queryStride, rows: rows, cache: cache, layer: 1, heads: heads,
                                    kvHeads: kvHeads, headSize: hs, minimumRun: minimumRun)
                results.append(out.array)
            }
            let size = results[1].map(abs).max() ?? 0
            XCTAssertGreaterThan(size, 0.1)
            var worst: Float = 0
            for (a, b) in zip(results[0], results[1]) {
                XCTAssertTrue(a.isFinite, "every output written")
                worst = max(worst, abs(a - b))
            }
            XCTAssertLessThan(worst / size, 1e-5, "\(heads)/\(kvHeads) heads")
        }
    }
}
