import Foundation
import XCTest
@testable import SaniEngine

/// The training attention's forward and backward, which run causal sequences in blocks of
/// `CausalAttention.blockRows` query rows, against the attention formula computed directly in double precision.
/// The PyTorch fixtures check the same kernels at lengths inside one block; these lengths span several.
final class BlockedAttentionTests: XCTestCase {
    /// Output and `dqkv` of attention over one packed buffer, straight from the formula.
    func reference(qkv: [Double], dout: [Double], batch: Int, length t: Int, layout: AttentionLayout,
                   causal: Bool) -> (out: [Double], dqkv: [Double]) {
        let hs = layout.headSize, stride = layout.rowStride, width = layout.outputWidth
        let scale = 1 / Double(hs).squareRoot()
        var out = [Double](repeating: 0, count: batch * t * width)
        var dqkv = [Double](repeating: 0, count: batch * t * stride)
        for b in 0..<batch {
            for h in 0..<layout.heads {
                let qo = layout.queryOffset + h * hs, ko = layout.keyOffset + layout.kvHead(h) * hs
                let vo = layout.valueOffset + layout.kvHead(h) * hs
                func at(_ i: Int, _ off: Int, _ d: Int) -> Double { qkv[(b * t + i) * stride + off + d] }
                for i in 0..<t {
                    let keys = causal ? i + 1 : t
                    var s = (0..<keys).map { j in scale * (0..<hs).reduce(0) { $0 + at(i, qo, $1) * at(j, ko, $1) } }
                    let m = s.max()!
                    s = s.map { Foundation.exp($0 - m) }
                    let sum = s.reduce(0, +)
                    let p = s.map { $0 / sum }
                    let dy = (0..<hs).map { dout[(b * t + i) * width + h * hs + $0] }
                    for d in 0..<hs { out[(b * t + i) * width + h * hs + d] = (0..<keys).reduce(0) { $0 + p[$1] * at($1, vo, d) } }
                    let dp = (0..<keys).map { j in (0..<hs).reduce(0) { $0 + dy[$1] * at(j, vo, $1) } }
                    let inner = (0..<keys).reduce(0) { $0 + p[$1] * dp[$1] }
                    for j in 0..<keys {
                        let ds = scale * p[j] * (dp[j] - inner)
                        for d in 0..<hs {
                            dqkv[(b * t + j) * stride + vo + d] += p[j] * dy[d]
                            dqkv[(b * t + i) * stride + qo + d] += ds * at(j, ko, d)
                            dqkv[(b * t + j) * stride + ko + d] += ds * at(i, qo, d)
                        }
                    }
                }
            }
        }
        return (out, dqkv)
    }

    func testForwardAndBackwardAcrossBlocksFollowTheFormula() {
        let block = CausalAttention.blockRows
        let layouts: [AttentionLayout] = [.packedQKV(channels: 16, heads: 2), .grouped(heads: 4, kvHeads: 2, headSize: 4)]
        for layout in layouts {
            for t in [block - 1, block + 1, 2 * block + 9] {
                for causal in [true, false] {
                    let batch = 2, rows = batch * t
                    var rng = RandomSource(seed: UInt64(t) + (causal ? 7 : 0))
                    let qkv = FloatBuffer(count: rows * layout.rowStride)
                    rng.fillNormal(qkv.pointer, qkv.count, std: 1.5)
                    let dout = FloatBuffer(count: rows * layout.outputWidth)
                    rng.fillNormal(dout.pointer, dout.count, std: 1)
                    // Probabilities and scratch start as NaN: a read of what the kernels did not write shows.
                    let probs = FloatBuffer(count: batch * layout.heads * t * t)
                    probs.pointer.update(repeating: .nan, count: probs.count)
                    let scratch = FloatBuffer(count: probs.count)
                    scratch.pointer.update(repeating: .nan, count: scratch.count)
                    let out = FloatBuffer(count: rows * layout.outputWidth)
                    let dqkv = FloatBuffer(count: qkv.count)
                    CausalAttention.forward(out: out.pointer, probs: probs.pointer, qkv: qkv.pointer, batch: batch,
                                            length: t, layout: layout, causal: causal)
                    CausalAttention.backward(dqkv: dqkv.pointer, scratch: scratch.pointer, dout: dout.pointer,
                                             qkv: qkv.pointer, probs: probs.pointer, batch: batch, length: t,
                                             layout: layout, causal: causal)
                    let expected = reference(qkv: qkv.array.map(Double.init), dout: dout.array.map(Double.init),
                                             batch: batch, length: t, layout: layout, causal: causal)
                    let what = "t \(t), causal \(causal), \(layout.heads)/\(layout.kvHeads) heads"
                    assertClose(out.array, expected.out, what + ", output")
                    assertClose(dqkv.array, expected.dqkv, what + ", dqkv")
                }
            }
        }
    }

    /// Largest difference relative to the largest reference value: at most 1e-5.
    func assertClose(_ actual: [Float], _ expected: [Double], _ what: String, file: StaticString = #filePath,
                     line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let size = expected.map(abs).max() ?? 0
        var worst = 0.0
        for (a, e) in zip(actual, expected) {
            guard a.isFinite else { return XCTFail("\(what): \(a) where \(e) was expected", file: file, line: line) }
            worst = max(worst, abs(Double(a) - e))
        }
        XCTAssertGreaterThan(size, 0.1, what, file: file, line: line)
        XCTAssertLessThan(worst / size, 1e-5, what, file: file, line: line)
    }
}
