/// A prefix tree over case-folded term scalars that finds every occurrence of thousands of terms in one
/// pass over a text (a walk from each possible start, as long as the tree has a path).
///
/// Whitespace in a term is stored as one space edge and matches any run of whitespace in the text, so
/// "John Smith" also matches "John\n  Smith" in a wrapped note.
struct TermTrie: Sendable {
    private static let spaceKey: UInt32 = 0x20

    /// The children of each node by folded scalar; node 0 is the root.
    private var children: [[UInt32: Int32]] = [[:]]
    /// The entries (indices into the term list) that end at each node.
    private var terminals: [[Int32]] = [[]]
    /// For each entry, whether its last scalar is a word character (then the match must end on a boundary).
    private var endsWithWord: [Bool] = []

    /// Builds the tree. `terms` are already normalized (trimmed, whitespace runs collapsed to one space).
    init(terms: [String], foldCase: Bool) {
        for (index, term) in terms.enumerated() {
            var node = 0
            var last: Unicode.Scalar?
            for scalar in term.unicodeScalars {
                let key = scalar == " " ? Self.spaceKey : (foldCase ? ScalarText.fold(scalar) : scalar.value)
                node = child(of: node, key: key, creating: true)
                last = scalar
            }
            endsWithWord.append(last.map(ScalarText.isWord) ?? false)
            if node != 0 { terminals[node].append(Int32(index)) }
        }
    }

    private mutating func child(of node: Int, key: UInt32, creating: Bool) -> Int {
        if let existing = children[node][key] { return Int(existing) }
        let new = children.count
        children.append([:])
        terminals.append([])
        children[node][key] = Int32(new)
        return new
    }

    /// Every occurrence: `(start, end, entry)` in scalar offsets, ordered by start then end.
    ///
    /// A match that begins with a word character must begin on a word boundary, and one that ends with a
    /// word character must end on one, so "Ann" is not found inside "Annual" or "Joann".
    func matches(in text: ScalarText) -> [(start: Int, end: Int, entry: Int)] {
        var found: [(start: Int, end: Int, entry: Int)] = []
        let count = text.count
        let folded = text.folded
        let classes = text.classes
        for start in 0..<count {
            let startClass = classes[start]
            if startClass == .whitespace { continue }
            if startClass == .word, start > 0, classes[start - 1] == .word { continue }
            guard let first = children[0][folded[start]] else { continue }
            var node = Int(first)
            var end = start + 1
            while true {
                for entry in terminals[node] {
                    let entryIndex = Int(entry)
                    if endsWithWord[entryIndex], end < count, classes[end] == .word { continue }
                    found.append((start, end, entryIndex))
                }
                guard end < count else { break }
                let key: UInt32
                if classes[end] == .whitespace {
                    key = Self.spaceKey
                    while end < count, classes[end] == .whitespace { end += 1 }
                } else {
                    key = folded[end]
                    end += 1
                }
                guard let next = children[node][key] else { break }
                node = Int(next)
            }
        }
        return found
    }
}
