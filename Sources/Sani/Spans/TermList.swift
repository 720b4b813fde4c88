/// A list of confidential terms (patient names, a hospital, a project code...), each with a label, that
/// marks every occurrence in a text as sensitive.
///
/// Matching is case-insensitive unless asked otherwise, follows word boundaries at the ends of a term that
/// are letters or digits ("Ann" is not found in "Annual"), and lets a space in a term match any run of
/// whitespace (line wraps). All terms are matched in one pass through a prefix tree, so thousands of
/// terms over megabytes of text stay fast.
public struct TermList: Sendable {
    /// One term and the label its occurrences get.
    public struct Entry: Sendable, Hashable, Codable {
        /// The term, as written in the terms file.
        public var term: String
        /// The label of its occurrences (`TERM` when the file gives none).
        public var label: String

        public init(term: String, label: String = TermList.defaultLabel) {
            self.term = term
            self.label = label
        }
    }

    /// The label of terms given without one.
    public static let defaultLabel = "TERM"

    /// The terms, normalized (trimmed, inner whitespace collapsed to one space), without duplicates.
    public let entries: [Entry]
    /// Whether matching respects case.
    public let caseSensitive: Bool
    private let trie: TermTrie

    /// A term list from entries; empty terms are dropped and repeated (term, label) pairs kept once.
    public init(entries: [Entry], caseSensitive: Bool = false) {
        var seen = Set<Entry>()
        var kept: [Entry] = []
        for entry in entries {
            let term = Self.normalize(entry.term)
            if term.isEmpty { continue }
            let key = Entry(term: caseSensitive ? term : term.lowercased(), label: entry.label)
            if seen.insert(key).inserted {
                kept.append(Entry(term: term, label: entry.label))
            }
        }
        self.entries = kept
        self.caseSensitive = caseSensitive
        self.trie = TermTrie(terms: kept.map(\.term), foldCase: !caseSensitive)
    }

    /// A term list where every term has the same label.
    public init(terms: [String], label: String = TermList.defaultLabel, caseSensitive: Bool = false) {
        self.init(entries: terms.map { Entry(term: $0, label: label) }, caseSensitive: caseSensitive)
    }

    /// The number of distinct terms.
    public var count: Int { entries.count }

    /// Every occurrence of every term in `text`, as spans with source `.term`, ordered by start.
    /// Overlapping occurrences of different terms ("John" and "John Smith") are all returned.
    public func spans(in text: String) -> [SensitiveSpan] {
        if entries.isEmpty || text.isEmpty { return [] }
        let scalars = ScalarText(text, foldCase: !caseSensitive)
        return trie.matches(in: scalars).map { match in
            SensitiveSpan(start: match.start, end: match.end, label: entries[match.entry].label, source: .term)
        }
    }

    /// Trims a term and collapses its inner whitespace runs to one space.
    static func normalize(_ term: String) -> String {
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in term.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(scalar)
            }
        }
        return String(result)
    }
}
