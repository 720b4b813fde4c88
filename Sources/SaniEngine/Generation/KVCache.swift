/// Keys and values of past positions, per layer and sequence, for incremental decoding.
/// Layout: `[layer][sequence][position - start][width]` for keys and for values: a sequence slot holds
/// `capacity` positions counted from its start position, so a prompt placed deep in its document costs no more
/// cache than one at position 0.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let sequences: Int
    /// Positions per sequence slot, from the slot's start position.
    public let capacity: Int
    /// Floats per position (key/value heads × head size).
    public let width: Int
    let keys: FloatBuffer
    let values: FloatBuffer
    /// First position of each sequence: attention looks at positions `start...position` only, so a prompt can
    /// be placed at the positions it had in its document. A slot is reused for another sequence by setting its
    /// start again (attention never reads a position the new sequence has not written).
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

    /// Whether `position` of sequence slot `sequence` has room in the cache.
    public func holds(sequence: Int, position: Int) -> Bool {
        guard sequence >= 0, sequence < sequences else { return false }
        let offset = position - startPositions[sequence]
        return offset >= 0 && offset < capacity
    }

    @inline(__always) func key(layer: Int, sequence: Int, position: Int) -> UnsafeMutablePointer<Float> {
        keys.pointer + ((layer * sequences + sequence) * capacity + position - startPositions[sequence]) * width
    }

    @inline(__always) func value(layer: Int, sequence: Int, position: Int) -> UnsafeMutablePointer<Float> {
        values.pointer + ((layer * sequences + sequence) * capacity + position - startPositions[sequence]) * width
    }

    /// Keys of the slot's first position (`start`); the following positions follow every `width` floats.
    @inline(__always) func firstKey(layer: Int, sequence: Int) -> UnsafeMutablePointer<Float> {
        keys.pointer + (layer * sequences + sequence) * capacity * width
    }

    @inline(__always) func firstValue(layer: Int, sequence: Int) -> UnsafeMutablePointer<Float> {
        values.pointer + (layer * sequences + sequence) * capacity * width
    }

    /// Bytes of keys and values a sequence slot of `capacity` positions takes.
    public static func bytesPerSlot(layers: Int, capacity: Int, width: Int) -> Int {
        2 * layers * capacity * width * MemoryLayout<Float>.stride
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
    /// Floats per position of the cache (key/value heads × head size).
    var cacheWidth: Int { get }
    var layerCount: Int { get }
    /// Precision of the weights `decode` reads (default `.float32`); `.bfloat16` makes bf16 copies on first use,
    /// rebuilt after any change of the parameters, freed when set back to `.float32`.
    var decodePrecision: DecodePrecision { get set }
    /// Bytes of the bf16 weight copies currently held (0 at `.float32`).
    var decodeCopyBytes: Int { get }
    func makeCache(sequences: Int, capacity: Int) -> KVCache
    /// Runs `rows` (any mix of sequences; rows of one sequence in increasing positions, every earlier position
    /// of that sequence already in the cache or among the rows) and returns the logits of the rows listed in
    /// `logitsOf` (indices into `rows`, in that order; nil: every row), `[logitsOf.count, V]`. The head, the
    /// largest product of a small model, runs on those rows alone.
    func decode(_ rows: [DecodeRow], cache: KVCache, logitsOf: [Int]?) throws -> LogitsView
}

extension IncrementalDecoder {
    /// Logits of every row.
    public func decode(_ rows: [DecodeRow], cache: KVCache) throws -> LogitsView {
        try decode(rows, cache: cache, logitsOf: nil)
    }
}

/// The rows whose logits a decode call returns, checked against the rows run.
func checkedLogitRows(_ logitsOf: [Int]?, rows: Int) throws -> [Int]? {
    guard let logitsOf else { return nil }
    for i in logitsOf where i < 0 || i >= rows {
        throw EngineError.invalidArgument("logits asked of row \(i), outside the \(rows) rows decoded")
    }
    // Every row in order: no gathering needed.
    if logitsOf.count == rows && logitsOf.enumerated().allSatisfy({ $0.offset == $0.element }) { return nil }
    return logitsOf
}

/// Copies rows `selected` of `source` (`[rows, width]`) into a new compact buffer, in that order.
func gatherRows(_ source: UnsafePointer<Float>, width: Int, _ selected: [Int]) -> FloatBuffer {
    let out = FloatBuffer(count: selected.count * width)
    for (i, r) in selected.enumerated() { (out.pointer + i * width).update(from: source + r * width, count: width) }
    return out
}

/// Attention of query rows over cached keys and values. Rows of one sequence at consecutive positions (a prompt
/// placed in the cache) go through BLAS in blocks of query rows, like the inference pass; the other rows (one
/// new token per sequence) are threaded over (row, head).
enum CachedAttention {
    /// Consecutive rows of one sequence from which on the products go through BLAS.
    static let minimumRun = 8

    /// `out[r, h·hs..]` = softmax(q·Kᵀ·scale over positions `start...position(r)`) · V, for `heads` query heads
    /// sharing `kvHeads` key/value heads (grouped-query attention when fewer). Keys and values of every row are
    /// in the cache already. `minimumRun` is the run length from which a run of rows goes through BLAS (a test
    /// sets it out of reach to compare the two ways).
    static func run(out: UnsafeMutablePointer<Float>, outStride: Int,
                    queries: UnsafePointer<Float>, queryStride: Int,
                    rows: [DecodeRow], cache: KVCache, layer: Int, heads: Int, kvHeads: Int, headSize hs: Int,
                    minimumRun: Int = CachedAttention.minimumRun) {
        var singles: [Int] = []
        var lo = 0
        while lo < rows.count {
            var hi = lo + 1
            while hi < rows.count, rows[hi].sequence == rows[lo].sequence,
                  rows[hi].position == rows[hi - 1].position + 1 { hi += 1 }
            if hi - lo >= minimumRun {
                runOfRows(lo..<hi, out: out, outStride: outStride, queries: queries, queryStride: queryStride,
                          rows: rows, cache: cache, layer: layer, heads: heads, kvHeads: kvHeads, headSize: hs)
            } else {
                singles.append(contentsOf: lo..<hi)
            }
            lo = hi
        }
        guard !singles.isEmpty else { return }
        singleRows(singles, out: out, outStride: outStride, queries: queries, queryStride: queryStride, rows: rows,
                   cache: cache, layer: layer, heads: heads, kvHeads: kvHeads, headSize: hs)
    }

    /// Rows `range`, one sequence at consecutive positions: per head, the query rows in blocks of
    /// `CausalAttention.blockRows`, each multiplying the keys up to its last row, then the values.
    private static func runOfRows(_ range: Range<Int>, out: UnsafeMutablePointer<Float>, outStride: Int,
                                  queries: UnsafePointer<Float>, queryStride: Int, rows: [DecodeRow], cache: KVCache,
                                  layer: Int, heads: Int, kvHeads: Int, headSize hs: Int) {
        let scale = 1 / Float(hs).squareRoot()
        let group = heads / kvHeads
        let sequence = rows[range.lowerBound].sequence
        // Keys row `i` of the run reads: its offset in the slot, plus one.
        let firstKeys = rows[range.lowerBound].position - cache.startPositions[sequence] + 1
        let m = range.count, keysMax = firstKeys + m - 1
        let block = CausalAttention.blockRows
        let width = cache.width
        let keys = cache.firstKey(layer: layer, sequence: sequence)
        let values = cache.firstValue(layer: layer, sequence: sequence)
        let scratch = FloatBuffer(count: heads * min(m, block) * keysMax)
        CausalAttention.forEachBlock(length: m, block: block) { i0, i1 in
            let blockKeys = firstKeys + i1 - 1
            BLAS.independentProducts(heads) { h in
                let kv = h / group * hs
                let s = scratch.pointer + h * (i1 - i0) * blockKeys
                let q = queries + (range.lowerBound + i0) * queryStride + h * hs
                BLAS.sgemm(transB: true, m: i1 - i0, n: blockKeys, k: hs, alpha: scale, a: q, lda: queryStride,
                           b: keys + kv, ldb: width, c: s, ldc: blockKeys)
                for i in i0..<i1 {
                    CausalAttention.softmaxRow(s + (i - i0) * blockKeys, used: firstKeys + i, zeroTo: blockKeys)
                }
                BLAS.sgemm(m: i1 - i0, n: hs, k: blockKeys, a: s, lda: blockKeys, b: values + kv, ldb: width,
                           c: out + (range.lowerBound + i0) * outStride + h * hs, ldc: outStride)
            }
        }
    }

    /// Rows `selected`, each on its own, threaded over (row, head).
    private static func singleRows(_ selected: [Int], out: UnsafeMutablePointer<Float>, outStride: Int,
                                   queries: UnsafePointer<Float>, queryStride: Int, rows: [DecodeRow],
                                   cache: KVCache, layer: Int, heads: Int, kvHeads: Int, headSize hs: Int) {
        let scale = 1 / Float(hs).squareRoot()
        let group = heads / kvHeads
        let maxLen = selected.map { rows[$0].position + 1 - cache.startPositions[rows[$0].sequence] }.max() ?? 1
        let scratch = FloatBuffer(count: Parallel.threadCount * maxLen)
        let total = selected.count * heads
        let chunks = min(Parallel.threadCount, max(1, total))
        let per = (total + chunks - 1) / chunks
        rows.withUnsafeBufferPointer { rowsBuffer in
            selected.withUnsafeBufferPointer { selectedBuffer in
                Parallel.forRanges(chunks) { chunkRange in
                    for chunk in chunkRange {
                        let scores = scratch.pointer + chunk * maxLen
                        let lo = chunk * per, hi = min(total, lo + per)
                        if lo >= hi { continue }
                        for item in lo..<hi {
                            let r = selectedBuffer[item / heads], h = item % heads
                            let row = rowsBuffer[r]
                            let kvh = h / group
                            let q = queries + r * queryStride + h * hs
                            let first = cache.startPositions[row.sequence]
                            let n = row.position + 1 - first
                            let width = cache.width
                            let keys = cache.firstKey(layer: layer, sequence: row.sequence) + kvh * hs
                            let values = cache.firstValue(layer: layer, sequence: row.sequence) + kvh * hs
                            for j in 0..<n {
                                scores[j] = VectorMath.dot(q, keys + j * width, hs) * scale
                            }
                            let m = VectorMath.max(scores, n)
                            let s = VectorMath.expShiftedSum(scores, shift: m, n)
                            let o = out + r * outStride + h * hs
                            o.update(repeating: 0, count: hs)
                            for j in 0..<n {
                                VectorMath.axpy(scores[j] / s, values + j * width, o, hs)
                            }
                        }
                    }
                }
            }
        }
    }
}
