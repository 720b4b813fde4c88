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
    /// `Blacklist.annotating`) to token positions. Ids outside the model's vocabulary are an error.
    public init(corpus: Corpus, tokenizer: any TextTokenizer, separator: Int32?, vocabularySize: Int) throws {
        var records: [TokenizedRecord] = []
        records.reserveCapacity(corpus.records.count)
        for (index, record) in corpus.records.enumerated() {
            let tokens = tokenizer.encodeWithOffsets(record.text)
            if let bad = tokens.first(where: { $0.id < 0 || $0.id >= vocabularySize }) {
                throw SaniError.invalidArgument(
                    "record \(index + 1): the tokenizer produced id \(bad.id), outside the model's vocabulary of \(vocabularySize); the tokenizer does not belong to this model")
            }
            let spans = record.annotations.sorted { $0.start < $1.start }
            let labels = TokenSensitivity.labels(tokens: tokens, spans: spans)
            let ranges = TokenSensitivity.tokenRanges(covering: spans, in: tokens)
            let shift = separator == nil ? 0 : 1
            var spanRanges: [(label: String, range: Range<Int>)] = []
            for (span, range) in zip(spans, ranges) {
                if let range { spanRanges.append((span.label, (range.lowerBound + shift)..<(range.upperBound + shift))) }
            }
            let ids = (separator.map { [$0] } ?? []) + tokens.map { Int32($0.id) }
            records.append(TokenizedRecord(ids: ids, labels: (separator == nil ? [] : [nil]) + labels, spans: spanRanges))
        }
        self.records = records
    }

    public init(records: [TokenizedRecord]) { self.records = records }

    public var tokenCount: Int { records.reduce(0) { $0 + $1.ids.count } }
    public var sensitiveCount: Int { records.reduce(0) { $0 + $1.sensitiveCount } }
}

/// Fixed-length training windows over the records packed one after another (each record already starts with
/// the separator). Every window starts at a record start, or every `length` tokens inside a long record, so the
/// model sees each document from its beginning, as the audit and real use present it; a window runs on into
/// the next record when its own record is shorter. The target of position t is token t+1; its loss weight is 0
/// when that token is sensitive.
public struct TrainingWindows: Sendable {
    public let length: Int
    let ids: [Int32]
    let sensitive: [Bool]
    let starts: [Int]

    public init(corpus: TokenizedCorpus, length requested: Int, trailingSeparator: Int32?) {
        var ids: [Int32] = [], sensitive: [Bool] = [], recordStarts: [Int] = []
        for r in corpus.records where !r.ids.isEmpty {
            recordStarts.append(ids.count)
            ids += r.ids
            sensitive += r.labels.map { $0 != nil }
        }
        if let sep = trailingSeparator { ids.append(sep); sensitive.append(false) }
        let length = max(1, min(requested, ids.count - 1))
        var starts: [Int] = []
        if ids.count > length {
            let lastStart = ids.count - length - 1
            for (i, begin) in recordStarts.enumerated() {
                let end = i + 1 < recordStarts.count ? recordStarts[i + 1] : ids.count - 1
                var s = begin
                repeat {
                    let clamped = min(s, lastStart)
                    if starts.last != clamped { starts.append(clamped) }
                    s += length
                } while s < end - 1
            }
        }
        self.length = length
        self.ids = ids
        self.sensitive = sensitive
        self.starts = starts
    }

    public var count: Int { starts.count }

    /// Tokens, targets and loss weights of the windows `indices`, row after row.
    /// `sensitiveOnly` inverts the weights (1 on sensitive targets only), for selecting neurons by gradient.
    public func batch(_ indices: [Int], sensitiveOnly: Bool = false) -> (tokens: [Int32], targets: [Int32], weights: [Float]) {
        var tokens: [Int32] = [], targets: [Int32] = [], weights: [Float] = []
        tokens.reserveCapacity(indices.count * length)
        for i in indices {
            let s = starts[i]
            tokens += ids[s..<(s + length)]
            targets += ids[(s + 1)...(s + length)]
            for t in (s + 1)...(s + length) {
                weights.append(sensitive[t] == sensitiveOnly ? 1 : 0)
            }
        }
        return (tokens, targets, weights)
    }

    /// Window order for an epoch: a seeded shuffle.
    public func order(seed: UInt64) -> [Int] {
        var rng = RandomSource(seed: seed)
        var order = Array(0..<count)
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        return order
    }
}
