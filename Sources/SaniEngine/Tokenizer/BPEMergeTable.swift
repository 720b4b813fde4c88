/// One merge rule of a BPE model: the two tokens (vocabulary spellings) that join into one.
public struct BPEMergeRule: Sendable, Equatable, Hashable {
    /// The left token.
    public var left: String
    /// The right token.
    public var right: String

    public init(_ left: String, _ right: String) {
        self.left = left
        self.right = right
    }
}

/// The merge rules of a BPE model keyed by the ids of the pair they join.
struct BPEMergeTable: Sendable {
    /// The rank (priority, lower first) and the id of the joined token for one pair.
    struct Merge: Sendable, Equatable {
        var rank: Int32
        var result: Int32
    }

    private var merges: [UInt64: Merge] = [:]

    /// The number of distinct pairs in the table.
    var count: Int { merges.count }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    init(minimumCapacity: Int = 0) {
        merges.reserveCapacity(minimumCapacity)
    }

    /// Records that `left` and `right` join into `result` with priority `rank`; a later rule for the
    /// same pair replaces an earlier one, as in Hugging Face `tokenizers`.
    mutating func insert(left: Int32, right: Int32, rank: Int32, result: Int32) {
        merges[Self.key(left, right)] = Merge(rank: rank, result: result)
    }

    /// The merge of the pair `left`, `right`, if there is one.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> Merge? {
        merges[Self.key(left, right)]
    }
}
