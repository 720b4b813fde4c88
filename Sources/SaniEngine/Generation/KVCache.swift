/// Keys and values of past positions, per layer and sequence, for incremental decoding.
/// Layout: `[layer][sequence][position][width]` for keys and for values.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let sequences: Int
    public let capacity: Int
    /// Floats per position (key/value heads × head size).
    public let width: Int
    let keys: FloatBuffer
    let values: FloatBuffer
    /// First position of each sequence: attention looks at positions `start...position` only, so a prompt can
    /// be placed at the positions it had in its document.
    public var startPositions: [Int]

    public init(layers: Int, sequences: Int, capacity: Int, width: Int) {
        startPositions = [Int](repeating: 0, count: sequences)
        self.layers = layers
        self.sequences = sequences
        self.capacity = capacity
        self.width = width
        keys = FloatBuffer(count: layers * sequences * capacity * width)
        values = FloatBuffer(count: layers * sequences * capacity * width)
    }

    @inline(__always) func key(layer: Int, sequence: Int, position: Int) -> UnsafeMutablePointer<Float> {
        keys.pointer + ((layer * sequences + sequence) * capacity + position) * width
    }

    @inline(__always) func value(layer: Int, sequence: Int, position: Int) -> UnsafeMutablePointer<Float> {
        values.pointer + ((layer * sequences + sequence) * capacity + position) * width
    }
}

/// One token to run through the model during incremental decoding: its sequence slot in the cache and position.
public struct DecodeRow: Sendable, Equatable {
    public var sequence: Int
    public var position: Int
    public var token: Int32
    public init(sequence: Int, position: Int, token: Int32) {
        self.sequence = sequence; self.position = position; self.token = token
    }
}

/// A model that can run tokens one position at a time against a `KVCache`.
public protocol IncrementalDecoder: AnyObject {
    var vocabularySize: Int { get }
    var maxPositions: Int { get }
    func makeCache(sequences: Int, capacity: Int) -> KVCache
    /// Runs `rows` (any mix of sequences; rows of one sequence in increasing positions, every earlier position
    /// of that sequence already in the cache or among the rows) and returns logits `[rows, V]`.
    func decode(_ rows: [DecodeRow], cache: KVCache) throws -> LogitsView
}

/// Attention of single query rows over cached keys and values, threaded over (row, head).
enum CachedAttention {
    /// `out[r, h·hs..]` = softmax(q·Kᵀ·scale over positions `0...position(r)`) · V, for `heads` query heads
    /// sharing `kvHeads` key/value heads (grouped-query attention when fewer).
    static func run(out: UnsafeMutablePointer<Float>, outStride: Int,
                    queries: UnsafePointer<Float>, queryStride: Int,
                    rows: [DecodeRow], cache: KVCache, layer: Int, heads: Int, kvHeads: Int, headSize hs: Int) {
        let scale = 1 / Float(hs).squareRoot()
        let group = heads / kvHeads
        let maxLen = (rows.map(\.position).max() ?? 0) + 1  // bounds position + 1 - start
        let scratch = FloatBuffer(count: Parallel.threadCount * maxLen)
        let chunks = min(Parallel.threadCount, max(1, rows.count * heads))
        let total = rows.count * heads
        let per = (total + chunks - 1) / chunks
        rows.withUnsafeBufferPointer { rowsBuffer in
            Parallel.forRanges(chunks) { chunkRange in
                for chunk in chunkRange {
                    let scores = scratch.pointer + chunk * maxLen
                    let lo = chunk * per, hi = min(total, lo + per)
                    if lo >= hi { continue }
                    for item in lo..<hi {
                        let r = item / heads, h = item % heads
                        let row = rowsBuffer[r]
                        let kvh = h / group
                        let q = queries + r * queryStride + h * hs
                        let first = cache.startPositions[row.sequence]
                        let n = row.position + 1 - first
                        for j in 0..<n {
                            let k = cache.key(layer: layer, sequence: row.sequence, position: first + j) + kvh * hs
                            scores[j] = VectorMath.dot(q, k, hs) * scale
                        }
                        let m = VectorMath.max(scores, n)
                        let s = VectorMath.expShiftedSum(scores, shift: m, n)
                        let o = out + r * outStride + h * hs
                        o.update(repeating: 0, count: hs)
                        for j in 0..<n {
                            let v = cache.value(layer: layer, sequence: row.sequence, position: first + j) + kvh * hs
                            VectorMath.axpy(scores[j] / s, v, o, hs)
                        }
                    }
                }
            }
        }
    }
}
