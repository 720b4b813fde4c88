import SaniEngine

/// Rewrites a corpus with a stand-in for every sensitive span: the surrogate repair trains on notes that read
/// like the originals, so the model learns to write a plausible identifier of the right kind where it used to
/// write the real one, instead of only not being taught the real one.
///
/// A surrogate is made from the span's label and shape alone (never from a list of real or demo values): dates
/// are shifted by an offset drawn once per record (so intervals inside a note stay true), numbers and codes keep
/// their format with new digits and letters, names and other words become invented words of the same length and
/// capitalisation. Within a record the same original always gets the same surrogate; across records they differ.
/// Everything follows `seed`.
public struct SurrogateWriter: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// The corpus with every annotated span replaced; the returned records' annotations cover the surrogates
    /// (same labels and sources). Overlapping spans are replaced once, as the first one that starts there.
    public func rewrite(_ corpus: Corpus) -> Corpus {
        Corpus(records: corpus.records.enumerated().map { rewrite($0.element, index: $0.offset) })
    }

    /// One record (its index seeds the record's surrogates).
    public func rewrite(_ record: CorpusRecord, index: Int) -> CorpusRecord {
        let scalars = Array(record.text.unicodeScalars)
        var recordRNG = RandomSource(seed: seed ^ (UInt64(index + 1) &* 0xA24B_AED4_963E_E407))
        let days = Int(recordRNG.next() % 700) + 30
        let dateShift = recordRNG.next() % 2 == 0 ? days : -days
        var chosen: [String: String] = [:]
        var out = String.UnicodeScalarView()
        var spans: [SensitiveSpan] = []
        var cursor = 0
        for span in record.annotations.sorted(by: { ($0.start, $1.end) < ($1.start, $0.end) }) {
            guard span.start >= cursor, span.start < span.end, span.end <= scalars.count else { continue }
            out.append(contentsOf: scalars[cursor..<span.start])
            let original = String(String.UnicodeScalarView(scalars[span.start..<span.end]))
            let key = span.label + "\u{1F}" + original
            let surrogate: String
            if let known = chosen[key] {
                surrogate = known
            } else {
                var rng = RandomSource(seed: seed ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 ^ Self.fingerprint(key))
                surrogate = SurrogateShape.stand(in: original, label: span.label, dateShift: dateShift, rng: &rng)
                chosen[key] = surrogate
            }
            let start = out.count
            out.append(contentsOf: surrogate.unicodeScalars)
            spans.append(SensitiveSpan(start: start, end: out.count, label: span.label, source: span.source))
            cursor = span.end
        }
        out.append(contentsOf: scalars[cursor...])
        return CorpusRecord(text: String(out), subject: record.subject, id: record.id, annotations: spans)
    }

    /// FNV-1a of the UTF-8 bytes: a seed that is the same in every process (Swift's `Hasher` is not).
    static func fingerprint(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }
}
