/// A token of a word under construction: an id and the bytes of the word it covers.
struct BPESymbol: Sendable, Equatable {
    /// The token id.
    var id: Int32
    /// The offset of the token's first byte in the word.
    var start: Int32
    /// The number of bytes of the word the token covers.
    var length: Int32
}

/// Applies BPE merges to a word: repeatedly joins the adjacent pair with the lowest merge rank,
/// leftmost first, until no pair has a merge (the order Hugging Face `tokenizers` uses).
enum BPEWordMerger {
    /// Words up to this many symbols are merged by scanning; longer ones use a priority queue.
    static let scanLimit = 48

    /// Merges `symbols` in place.
    static func merge(_ symbols: inout [BPESymbol], table: BPEMergeTable) {
        if symbols.count <= scanLimit {
            mergeByScanning(&symbols, table: table)
        } else {
            mergeWithQueue(&symbols, table: table)
        }
    }

    /// Quadratic merging, fastest for short words.
    static func mergeByScanning(_ symbols: inout [BPESymbol], table: BPEMergeTable) {
        while symbols.count > 1 {
            var bestIndex = -1
            var best = BPEMergeTable.Merge(rank: .max, result: 0)
            for index in 0..<(symbols.count - 1) {
                if let merge = table.merge(symbols[index].id, symbols[index + 1].id), merge.rank < best.rank {
                    best = merge
                    bestIndex = index
                }
            }
            guard bestIndex >= 0 else { return }
            symbols[bestIndex].id = best.result
            symbols[bestIndex].length += symbols[bestIndex + 1].length
            symbols.remove(at: bestIndex + 1)
        }
    }

    /// O(n log n) merging for long words: a min-queue of (rank, position) over a linked list of symbols.
    static func mergeWithQueue(_ symbols: inout [BPESymbol], table: BPEMergeTable) {
        let count = symbols.count
        guard count > 1 else { return }
        var next = (0..<count).map { $0 + 1 }
        var previous = (0..<count).map { $0 - 1 }
        next[count - 1] = -1
        var alive = [Bool](repeating: true, count: count)
        var queue = MinQueue()
        @inline(__always) func entry(rank: Int32, position: Int) -> UInt64 {
            UInt64(UInt32(rank)) << 32 | UInt64(UInt32(position))
        }
        for position in 0..<(count - 1) {
            if let merge = table.merge(symbols[position].id, symbols[position + 1].id) {
                queue.push(entry(rank: merge.rank, position: position))
            }
        }
        while let top = queue.pop() {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let position = Int(UInt32(truncatingIfNeeded: top))
            guard alive[position] else { continue }
            let right = next[position]
            guard right >= 0, let merge = table.merge(symbols[position].id, symbols[right].id), merge.rank == rank else {
                continue
            }
            symbols[position].id = merge.result
            symbols[position].length += symbols[right].length
            alive[right] = false
            let after = next[right]
            next[position] = after
            if after >= 0 { previous[after] = position }
            let before = previous[position]
            if before >= 0, let merge = table.merge(symbols[before].id, symbols[position].id) {
                queue.push(entry(rank: merge.rank, position: before))
            }
            if after >= 0, let merge = table.merge(symbols[position].id, symbols[after].id) {
                queue.push(entry(rank: merge.rank, position: position))
            }
        }
        var merged: [BPESymbol] = []
        var position = 0
        while position >= 0 {
            merged.append(symbols[position])
            position = next[position]
        }
        symbols = merged
    }
}

/// A binary min-heap of packed (rank, position) entries.
private struct MinQueue {
    private var items: [UInt64] = []

    mutating func push(_ item: UInt64) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                var smallest = left
                if left + 1 < items.count, items[left + 1] < items[left] { smallest = left + 1 }
                guard items[smallest] < items[parent] else { break }
                items.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return first
    }
}
