/// Finds indirect identifiers by k-anonymity: a word used in the records of fewer than `k` distinct
/// subjects points at those few people (a rare surname, a street, an employer, a rare disease), so each
/// of its occurrences is sensitive (label `INDIRECT`, source `.kAnonymity`).
///
/// Words are runs of letters and digits (apostrophes inside allowed), compared lowercased. Stop words,
/// words shorter than `minimumLength` scalars and, when `ignoreNumbers` is set, words made of digits only
/// are never flagged.
///
/// Records without a subject: each counts as a subject of its own. A corpus without subjects thus flags
/// words found in fewer than `k` records, and a subject-less record never makes a word look shared by
/// people it may well belong to (it is the cautious reading: unknown authorship is not the same person).
public struct KAnonymityDetector: Sendable {
    /// The label of the spans found.
    public static let label = "INDIRECT"
    /// A word is sensitive when fewer than `k` distinct subjects use it (k ≤ 1 flags nothing).
    public var k: Int
    /// Words that are never sensitive (stored lowercased).
    public var stopWords: Set<String>
    /// Whether words made of digits only are left alone (numbers with a shape are the detectors' work).
    public var ignoreNumbers: Bool
    /// Words shorter than this, in scalars, are left alone.
    public var minimumLength: Int

    /// The default stop words: about 200 common English words and 170 everyday clinical words
    /// (patient, history, mg, daily...).
    public static let defaultStopWords: Set<String> = StopWords.default

    public init(
        k: Int = 2, stopWords: Set<String> = KAnonymityDetector.defaultStopWords, ignoreNumbers: Bool = true,
        minimumLength: Int = 2
    ) {
        self.k = k
        self.stopWords = Set(stopWords.map { $0.lowercased() })
        self.ignoreNumbers = ignoreNumbers
        self.minimumLength = minimumLength
    }

    /// Checks the parameters: `k` and `minimumLength` must be at least 1.
    public func validate() throws {
        if k < 1 { throw SaniError.invalidArgument("k-anonymity k must be at least 1 (got \(k))") }
        if minimumLength < 1 {
            throw SaniError.invalidArgument("k-anonymity minimum word length must be at least 1 (got \(minimumLength))")
        }
    }

    /// The words (lowercased) that fewer than `k` distinct subjects use in `corpus`.
    public func sensitiveWords(in corpus: Corpus) -> Set<String> {
        subjectCounts(in: corpus).compactMap { word, subjects in subjects < k ? word : nil }
            .reduce(into: Set<String>()) { $0.insert($1) }
    }

    /// For each candidate word (after stop words, length and number filters), the number of distinct
    /// subjects that use it, counted up to `k` (a word used by more than `k` subjects is reported as `k`).
    public func subjectCounts(in corpus: Corpus) -> [String: Int] {
        // Records grouped by subject, subject-less records alone, so that each word is counted once a group.
        var groupOfSubject: [String: Int] = [:]
        var groups: [[Int]] = []
        for (index, record) in corpus.records.enumerated() {
            if let subject = record.subject {
                if let group = groupOfSubject[subject] {
                    groups[group].append(index)
                } else {
                    groupOfSubject[subject] = groups.count
                    groups.append([index])
                }
            } else {
                groups.append([index])
            }
        }
        let cap = max(k, 1)
        var counts: [String: (subjects: Int, lastGroup: Int)] = [:]
        for (group, recordIndices) in groups.enumerated() {
            for recordIndex in recordIndices {
                for word in WordScanner.words(in: corpus.records[recordIndex].text) where isCandidate(word) {
                    let entry = counts[word.key] ?? (0, -1)
                    if entry.lastGroup != group {
                        counts[word.key] = (min(entry.subjects + 1, cap), group)
                    }
                }
            }
        }
        return counts.mapValues(\.subjects)
    }

    /// The occurrences in `text` of the words of `sensitiveWords`, as spans.
    public func spans(in text: String, sensitiveWords: Set<String>) -> [SensitiveSpan] {
        if sensitiveWords.isEmpty { return [] }
        return WordScanner.words(in: text).compactMap { word in
            guard isCandidate(word), sensitiveWords.contains(word.key) else { return nil }
            return SensitiveSpan(start: word.start, end: word.end, label: Self.label, source: .kAnonymity)
        }
    }

    /// The spans of every record of `corpus`, in record order.
    public func spans(in corpus: Corpus) -> [[SensitiveSpan]] {
        let words = sensitiveWords(in: corpus)
        return corpus.records.map { spans(in: $0.text, sensitiveWords: words) }
    }

    private func isCandidate(_ word: WordScanner.Word) -> Bool {
        if word.end - word.start < minimumLength { return false }
        if ignoreNumbers && word.isNumber { return false }
        return !stopWords.contains(word.key)
    }
}
