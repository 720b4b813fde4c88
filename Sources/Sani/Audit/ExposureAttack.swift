import Foundation
import SaniEngine

/// Exposure of digit-shaped spans (record numbers, dates, phone numbers...): the true span is ranked by its
/// likelihood after the same prefix among random candidates of its shape (every digit redrawn, everything else
/// kept). A model that memorized the span ranks it first (exposure log2(R + 1)); one that did not ranks it
/// anywhere (about 1 bit on average).
extension Auditor {
    /// Spans whose text holds at least 4 digits, a seeded sample of at most `maxExposureSpans`.
    func exposureSpans(_ spans: [SpanOccurrence], in corpus: TokenizedCorpus, settings attacks: AttackSettings) -> [SpanOccurrence] {
        guard attacks.exposureCandidates > 0 else { return [] }
        var shaped = spans.filter { s in
            ExposureCandidates.digitCount(tokenizer.decode(corpus.records[s.record].ids[s.range].map(Int.init))) >= 4
        }
        if shaped.count > attacks.maxExposureSpans {
            var rng = RandomSource(seed: settings.seed ^ 0xE7_905E)
            for i in stride(from: shaped.count - 1, to: 0, by: -1) { shaped.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            shaped = Array(shaped[0..<attacks.maxExposureSpans])
        }
        return shaped
    }

    /// Mean exposure over `spans`, overall and per label.
    func exposure(of spans: [SpanOccurrence], in corpus: TokenizedCorpus, candidates: Int,
                  advanced: (Int) throws -> Void) throws -> ExposureFigure {
        var byLabel: [String: (sum: Double, spans: Int)] = [:]
        var sum = 0.0
        let maxExposure = log2(Double(candidates + 1))
        for (index, span) in spans.enumerated() {
            let record = corpus.records[span.record]
            let truth = Array(record.ids[span.range])
            var rng = RandomSource(seed: settings.seed &+ 0xC0FFEE &+ UInt64(index) &* 0x9E37_79B9)
            let text = tokenizer.decode(truth.map(Int.init))
            // A candidate is cut, like the span, to leave at least one token of prefix inside the context.
            let others = (0..<candidates).map { _ in
                tokenizer.encode(ExposureCandidates.draw(like: text, using: &rng)).prefix(model.maxPositions - 1)
                    .map { Int32($0) }
            }
            let longest = ([truth] + others).map(\.count).max() ?? truth.count
            let prefixLength = max(1, min(settings.prefixTokens, model.maxPositions - longest))
            let prefix = Array(record.ids[max(0, span.range.lowerBound - prefixLength)..<span.range.lowerBound])
            let scores = try logLikelihoods(of: [truth] + others, after: prefix)
            let rank = 1 + scores.dropFirst().filter { $0 > scores[0] }.count
            let exposure = maxExposure - log2(Double(rank))
            sum += exposure
            byLabel[span.label, default: (0, 0)].sum += exposure
            byLabel[span.label, default: (0, 0)].spans += 1
            try advanced(1)
        }
        return ExposureFigure(candidates: candidates, maxExposure: maxExposure,
                              mean: spans.isEmpty ? 0 : sum / Double(spans.count), spans: spans.count,
                              byLabel: byLabel.mapValues { LabelExposure(mean: $0.sum / Double($0.spans), spans: $0.spans) })
    }

    /// Sum of the log-probabilities of each continuation's tokens after `prefix`, teacher-forced in batches of
    /// about `batchTokens` tokens (shorter sequences padded at the end, which a causal model never reads).
    func logLikelihoods(of continuations: [[Int32]], after prefix: [Int32]) throws -> [Double] {
        let length = prefix.count + (continuations.map(\.count).max() ?? 0)
        let rows = max(1, min(128, settings.batchTokens / max(1, length)))
        var scores: [Double] = []
        scores.reserveCapacity(continuations.count)
        var i = 0
        while i < continuations.count {
            let group = continuations[i..<min(continuations.count, i + rows)]
            var tokens = [Int32](repeating: 0, count: group.count * length)
            for (b, c) in group.enumerated() {
                let sequence = prefix + c
                for t in sequence.indices { tokens[b * length + t] = sequence[t] }
            }
            // Only the rows that predict a continuation token are read: the head runs on those alone.
            let rowsRead = group.enumerated().flatMap { b, c in (0..<c.count).map { b * length + prefix.count - 1 + $0 } }
            let logits = try model.forward(tokens: tokens, batch: group.count, length: length, rows: rowsRead)
            var row = 0
            for c in group {
                var total = 0.0
                for token in c {
                    defer { row += 1 }
                    let p = logits.buffer.pointer + row * logits.vocabulary
                    total += Double(p[Int(token)] - CrossEntropy.logSumExp(p, logits.vocabulary))
                }
                scores.append(total)
            }
            i += group.count
        }
        return scores
    }
}

/// Random texts of a span's shape.
public enum ExposureCandidates {
    public static func digitCount(_ text: String) -> Int {
        text.unicodeScalars.filter { $0.properties.numericType == .decimal && $0.isASCII }.count
    }

    /// `text` with each ASCII digit replaced by a random digit; never `text` itself when it has a digit.
    public static func draw(like text: String, using rng: inout RandomSource) -> String {
        guard digitCount(text) > 0 else { return text }
        while true {
            var scalars = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                if scalar.isASCII, scalar.properties.numericType == .decimal {
                    scalars.append(Unicode.Scalar(UInt8(ascii: "0") + UInt8(rng.next() % 10)))
                } else {
                    scalars.append(scalar)
                }
            }
            let candidate = String(scalars)
            if candidate != text { return candidate }
        }
    }
}
