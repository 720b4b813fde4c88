/// A part of the input once added tokens are cut out: plain text or one added token.
enum AddedTokenSegment: Sendable, Equatable {
    /// Scalars to pre-tokenize and encode with BPE.
    case text(Range<Int>)
    /// An added token and the scalars it covers (absorbed whitespace included).
    case token(id: Int, range: Range<Int>)
}

/// Cuts added tokens out of the input, leftmost-longest, as Hugging Face `tokenizers` does: first
/// the tokens that are not normalized, then the normalized ones inside the remaining text.
struct AddedTokenSplitter: Sendable {
    private let passes: [AddedTokenMatcher]

    /// Whether there is no added token to look for.
    var isEmpty: Bool { passes.isEmpty }

    init(tokens: [AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        passes = [usable.filter { !$0.normalized }, usable.filter(\.normalized)]
            .filter { !$0.isEmpty }
            .map(AddedTokenMatcher.init)
    }

    /// The segments of `scalars`, in order, covering every scalar once.
    func split(_ scalars: [Unicode.Scalar]) -> [AddedTokenSegment] {
        var segments: [AddedTokenSegment] = [.text(0..<scalars.count)]
        for matcher in passes {
            var refined: [AddedTokenSegment] = []
            refined.reserveCapacity(segments.count)
            for segment in segments {
                if case let .text(range) = segment {
                    matcher.split(scalars, range: range, into: &refined)
                } else {
                    refined.append(segment)
                }
            }
            segments = refined
        }
        return segments
    }
}

/// Finds one set of added tokens in text.
private struct AddedTokenMatcher: Sendable {
    struct Candidate: Sendable {
        var scalars: [Unicode.Scalar]
        var token: AddedToken
    }

    /// Candidates by their first scalar, longest first.
    private let candidatesByFirstScalar: [UInt32: [Candidate]]
    /// Bit `v` is set when some candidate starts with the ASCII scalar `v`.
    private let asciiFirstLow: UInt64
    private let asciiFirstHigh: UInt64
    private let hasNonASCIIFirst: Bool

    init(tokens: [AddedToken]) {
        var byFirst: [UInt32: [Candidate]] = [:]
        var low: UInt64 = 0
        var high: UInt64 = 0
        var nonASCII = false
        for token in tokens {
            let scalars = Array(token.content.unicodeScalars)
            guard let first = scalars.first?.value else { continue }
            byFirst[first, default: []].append(Candidate(scalars: scalars, token: token))
            if first < 64 { low |= 1 << UInt64(first) } else if first < 128 { high |= 1 << UInt64(first - 64) } else { nonASCII = true }
        }
        candidatesByFirstScalar = byFirst.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
        asciiFirstLow = low
        asciiFirstHigh = high
        hasNonASCIIFirst = nonASCII
    }

    @inline(__always)
    private func mayStart(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 64 { return asciiFirstLow & (1 << UInt64(value)) != 0 }
        if value < 128 { return asciiFirstHigh & (1 << UInt64(value - 64)) != 0 }
        return hasNonASCIIFirst
    }

    /// The longest candidate that matches at `position` without passing `limit`.
    private func longestMatch(_ scalars: [Unicode.Scalar], at position: Int, limit: Int) -> Candidate? {
        guard let candidates = candidatesByFirstScalar[scalars[position].value] else { return nil }
        for candidate in candidates where position + candidate.scalars.count <= limit {
            var matches = true
            for (offset, scalar) in candidate.scalars.enumerated() where scalars[position + offset] != scalar {
                matches = false
                break
            }
            if matches { return candidate }
        }
        return nil
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let kind = ScalarClass.of(scalar)
        return kind == .letter || kind == .number || scalar.properties.isAlphabetic
    }

    /// Appends the segments of `scalars[range]` to `segments`.
    func split(_ scalars: [Unicode.Scalar], range: Range<Int>, into segments: inout [AddedTokenSegment]) {
        var textStart = range.lowerBound
        var position = range.lowerBound
        while position < range.upperBound {
            guard mayStart(scalars[position]), let candidate = longestMatch(scalars, at: position, limit: range.upperBound) else {
                position += 1
                continue
            }
            var start = position
            var end = position + candidate.scalars.count
            let token = candidate.token
            if token.singleWord {
                let gluedBefore = start > range.lowerBound && Self.isWordScalar(scalars[start - 1])
                let gluedAfter = end < range.upperBound && Self.isWordScalar(scalars[end])
                if gluedBefore || gluedAfter {
                    position = end
                    continue
                }
            }
            if token.lstrip {
                while start > textStart, scalars[start - 1].properties.isWhitespace { start -= 1 }
            }
            if token.rstrip {
                while end < range.upperBound, scalars[end].properties.isWhitespace { end += 1 }
            }
            if textStart < start { segments.append(.text(textStart..<start)) }
            segments.append(.token(id: token.id, range: start..<end))
            textStart = end
            position = end
        }
        if textStart < range.upperBound { segments.append(.text(textStart..<range.upperBound)) }
    }
}
