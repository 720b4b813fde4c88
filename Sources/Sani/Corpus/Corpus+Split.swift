extension Corpus {
    /// Splits the corpus into a training part and a held-out part, the same way for the same seed.
    ///
    /// Records are grouped by subject and whole groups go to one side; a record without a subject is a
    /// group of its own. Why: the held-out split measures what the model does on people it was not trained
    /// on. If a patient's notes sat on both sides, the held-out text would repeat names, dates and record
    /// numbers the model saw in training, so held-out perplexity would look better than it is and the
    /// extraction audit on held-out text would measure memorization instead of generalization.
    ///
    /// Groups are put in a seeded pseudo-random order and taken into the held-out part until it holds
    /// `heldOutFraction` of the records (at least one record when the fraction is above 0, and never every
    /// group when the fraction is below 1). Both parts keep the file order of their records.
    /// `heldOutFraction` is clamped to 0...1 (NaN counts as 0).
    public func split(heldOutFraction: Double, seed: UInt64) -> (train: Corpus, heldOut: Corpus) {
        let fraction = heldOutFraction.isNaN ? 0 : min(max(heldOutFraction, 0), 1)
        if fraction == 0 || records.isEmpty { return (self, Corpus(records: [])) }
        if fraction == 1 { return (Corpus(records: []), self) }

        var groupOfKey: [String: Int] = [:]
        var groups: [(key: String, records: [Int])] = []
        for (index, record) in records.enumerated() {
            let key = record.subject.map { "s\u{1F}" + $0 } ?? "r\u{1F}\(index)"
            if let group = groupOfKey[key] {
                groups[group].records.append(index)
            } else {
                groupOfKey[key] = groups.count
                groups.append((key, [index]))
            }
        }
        let hashes = groups.map { StableHash.hash($0.key, seed: seed) }
        let order = groups.indices.sorted { lhs, rhs in
            hashes[lhs] != hashes[rhs] ? hashes[lhs] < hashes[rhs] : groups[lhs].key < groups[rhs].key
        }

        let target = max(1, Int((fraction * Double(records.count)).rounded()))
        var heldOutIndices = Set<Int>()
        for (taken, group) in order.enumerated() {
            if heldOutIndices.count >= target || taken == order.count - 1 { break }
            heldOutIndices.formUnion(groups[group].records)
        }
        var train: [CorpusRecord] = []
        var heldOut: [CorpusRecord] = []
        for (index, record) in records.enumerated() {
            if heldOutIndices.contains(index) { heldOut.append(record) } else { train.append(record) }
        }
        return (Corpus(records: train), Corpus(records: heldOut))
    }
}

/// A hash of a string that is the same in every process and on every machine (unlike `Hasher`), so that
/// seeded choices over strings can be replayed: FNV-1a over the UTF-8 bytes, mixed with the seed by SplitMix64.
enum StableHash {
    static func hash(_ string: String, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in string.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return mix(h ^ mix(seed))
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
