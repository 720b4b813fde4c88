import SaniEngine

/// Which tokens of an encoded record are sensitive: the bridge from character spans to the token
/// positions that the repair loss masks and the audit counts.
///
/// A token is sensitive when its scalar range overlaps a span (`token.start < span.end &&
/// span.start < token.end`). Zero-length tokens (special tokens added by the tokenizer) never are. When
/// spans of several labels overlap a token, the token takes the label of the span it overlaps most
/// (ties: the span that starts first, then the label's alphabetical order).
public struct TokenSensitivity: Sendable, Equatable {
    /// The label of each token, `nil` when the token is not sensitive.
    public let labels: [String?]

    /// Maps `spans` onto `tokens` (as `TextTokenizer.encodeWithOffsets` returns them, in text order).
    public init(tokens: [TokenSpan], spans: [SensitiveSpan]) {
        let sortedSpans = spans.filter { $0.start < $0.end }.sorted { $0.start < $1.start }
        let order = tokens.indices.sorted { tokens[$0].start != tokens[$1].start ? tokens[$0].start < tokens[$1].start : $0 < $1 }
        var labels = [String?](repeating: nil, count: tokens.count)
        var next = 0
        var active: [SensitiveSpan] = []
        for index in order {
            let token = tokens[index]
            guard token.start < token.end else { continue }
            while next < sortedSpans.count, sortedSpans[next].start < token.end {
                active.append(sortedSpans[next])
                next += 1
            }
            // Tokens come by increasing start, so a span that ends before this one starts is done with.
            active.removeAll { $0.end <= token.start }
            var best: (overlap: Int, span: SensitiveSpan)?
            for span in active where span.start < token.end && token.start < span.end {
                let overlap = min(span.end, token.end) - max(span.start, token.start)
                if let current = best {
                    let better = overlap > current.overlap
                        || (overlap == current.overlap
                            && (span.start < current.span.start
                                || (span.start == current.span.start && span.label < current.span.label)))
                    if better { best = (overlap, span) }
                } else {
                    best = (overlap, span)
                }
            }
            labels[index] = best?.span.label
        }
        self.labels = labels
    }

    /// The label of each token (`nil`: not sensitive); shorthand for `TokenSensitivity(tokens:spans:).labels`.
    public static func labels(tokens: [TokenSpan], spans: [SensitiveSpan]) -> [String?] {
        TokenSensitivity(tokens: tokens, spans: spans).labels
    }

    /// Whether each token is sensitive.
    public var isSensitive: [Bool] { labels.map { $0 != nil } }

    /// The number of sensitive tokens.
    public var sensitiveCount: Int { labels.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// For each span (in the order given), the range of token indices that cover it: from the first to the
    /// last token overlapping it. `nil` when no token overlaps it (e.g. the text was cut before the span).
    ///
    /// The audit's span extraction prompts with the tokens before `range.lowerBound` and decodes
    /// `range.count` tokens. `tokens` must be in text order (starts and ends non-decreasing), as
    /// `encodeWithOffsets` returns them.
    public static func tokenRanges(covering spans: [SensitiveSpan], in tokens: [TokenSpan]) -> [Range<Int>?] {
        spans.map { span in
            guard span.start < span.end else { return nil }
            // First token whose end is past the span's start.
            var low = 0
            var high = tokens.count
            while low < high {
                let mid = (low + high) / 2
                if tokens[mid].end <= span.start { low = mid + 1 } else { high = mid }
            }
            var first: Int?
            var last = -1
            var index = low
            while index < tokens.count, tokens[index].start < span.end {
                let token = tokens[index]
                if token.start < token.end, token.start < span.end, span.start < token.end {
                    if first == nil { first = index }
                    last = index
                }
                index += 1
            }
            guard let first else { return nil }
            return first..<(last + 1)
        }
    }
}
