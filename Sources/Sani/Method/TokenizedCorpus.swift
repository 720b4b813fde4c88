import SaniEngine

/// One record as the model sees it: token ids (led by the separator when the model has one, as documents are
/// separated in training) and, per token, the label of the sensitive span it overlaps (`nil`: not sensitive).
public struct TokenizedRecord: Sendable, Equatable {
    public var ids: [Int32]
    public var labels: [String?]
    /// Token ranges of each sensitive span occurrence, with its label.
    public var spans: [(label: String, range: Range<Int>)]

    public static func == (a: TokenizedRecord, b: TokenizedRecord) -> Bool {
        a.ids == b.ids && a.labels == b.labels && a.spans.map(\.label) == b.spans.map(\.label)
            && a.spans.map(\.range) == b.spans.map(\.range)
    }

    public var sensitiveCount: Int { labels.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
}

/// A corpus tokenized for the method, with the sensitivity of every token.
public struct TokenizedCorpus: Sendable {
    public var records: [TokenizedRecord]

    /// Tokenizes every record and maps its spans (`record.annotations`, i.e. the blacklist after
    /// `Blacklist.annotating`) to token positions; each record is framed as `scheme` says (led by the
    /// separator for causal models, `[CLS] … [SEP]` for masked ones). Ids outside the model's vocabulary are
    /// an error.
    public init(corpus: Corpus, tokenizer: any TextTokenizer, scheme: TrainingScheme, vocabularySize: Int) throws {
        var records: [TokenizedRecord] = []
        records.reserveCapacity(corpus.records.count)
        let prefix = scheme.prefix, suffix = scheme.suffix
        for (index, record) in corpus.records.enumerated() {
            let tokens = tokenizer.encodeWithOffsets(record.text)
            if let bad = tokens.first(where: { $0.id < 0 || $0.id >= vocabularySize }) {
                throw SaniError.invalidArgument(
                    "record \(index + 1): the tokenizer produced id \(bad.id), outside the model's vocabulary of \(vocabularySize); the tokenizer does not belong to this model")
            }
            let spans = record.annotations.sorted { $0.start < $1.start }
            let labels = TokenSensitivity.labels(tokens: tokens, spans: spans)
            let ranges = TokenSensitivity.tokenRanges(covering: spans, in: tokens)
            let shift = prefix.count
            var spanRanges: [(label: String, range: Range<Int>)] = []
            for (span, range) in zip(spans, ranges) {
                if let range { spanRanges.append((span.label, (range.lowerBound + shift)..<(range.upperBound + shift))) }
            }
            let ids = prefix + tokens.map { Int32($0.id) } + suffix
            let framedLabels = [String?](repeating: nil, count: prefix.count) + labels
                + [String?](repeating: nil, count: suffix.count)
            records.append(TokenizedRecord(ids: ids, labels: framedLabels, spans: spanRanges))
        }
        self.records = records
    }

    /// A causal model's records, each led by `separator` when there is one.
    public init(corpus: Corpus, tokenizer: any TextTokenizer, separator: Int32?, vocabularySize: Int) throws {
        try self.init(corpus: corpus, tokenizer: tokenizer, scheme: .causal(separator: separator),
                      vocabularySize: vocabularySize)
    }

    public init(records: [TokenizedRecord]) { self.records = records }

    public var tokenCount: Int { records.reduce(0) { $0 + $1.ids.count } }
    public var sensitiveCount: Int { records.reduce(0) { $0 + $1.sensitiveCount } }
}

extension TokenizedCorpus {
    /// Tokens that occur mostly inside sensitive spans (at least `share` of their occurrences): the rows of the
    /// embedding tables that hold identifiers rather than language.
    public func identifierTokens(share: Double = 0.5) -> [Int] {
        var seen: [Int32: (sensitive: Int, all: Int)] = [:]
        for record in records {
            for (id, label) in zip(record.ids, record.labels) {
                seen[id, default: (0, 0)].all += 1
                if label != nil { seen[id, default: (0, 0)].sensitive += 1 }
            }
        }
        return seen.filter { $0.value.sensitive > 0 && Double($0.value.sensitive) >= share * Double($0.value.all) }
            .keys.map(Int.init).sorted()
    }
}
