import Foundation
import SaniEngine

/// The audit of a masked language model (BERT). Each question is a "probe": a window of one record (at most
/// `maskedWindow` tokens, centred on the question) with some positions replaced by the mask token, answered by one
/// forward pass.
/// - token regurgitation: every sensitive token masked alone, in its context; a hit when the top-1
///   prediction is the token (a seeded sample of at most `maxMaskedTokens`);
/// - span extraction: every tokens of a span masked together; a hit when the top-1 predictions spell the span
///   (with `samples`, also when one of the sampled fillings does);
/// - utility: every non-sensitive ordinary token predicted once, masked together with a seeded
///   `utilityMaskRate` of its neighbours; cross-entropy (perplexity) and top-1 accuracy on them.
extension Auditor {
    struct MaskedProbe {
        enum Kind { case token(String), span(String), utility }
        let kind: Kind
        let record: Int
        /// Window of the record fed to the model.
        let start: Int
        let length: Int
        /// Masked positions, in record coordinates.
        let positions: [Int]
    }

    func auditMasked(stage: String, memorized: TokenizedCorpus, heldOut: TokenizedCorpus?, heldOutSplit: String,
                     progress: (Int, Int) -> Void, isCancelled: CancellationCheck) throws -> AuditReport {
        let started = Date()
        let scheme = try TrainingScheme(model: model, tokenizer: tokenizer)
        guard let masking = scheme.masking else { throw SaniError.model("the model has no mask token") }
        let context = max(2, min(settings.maskedWindow, model.maxPositions))

        var memorizedProbes = tokenProbes(memorized, context: context)
        memorizedProbes += selectSpans(memorized).map { s in
            // A span longer than the window is cut to what the window holds, with one token of context.
            let range = s.range.lowerBound..<min(s.range.upperBound, s.range.lowerBound + context - 1)
            let (start, length) = window(around: range, count: memorized.records[s.record].ids.count, context: context)
            return MaskedProbe(kind: .span(s.label), record: s.record, start: start, length: length, positions: Array(range))
        }
        let utilityCorpus = heldOut ?? memorized
        let utilityProbes = self.utilityProbes(utilityCorpus, masking: masking, context: context)
        let total = memorizedProbes.count + utilityProbes.count
        var done = 0
        var tally = MaskedTally()
        for (corpus, probes) in [(memorized, memorizedProbes), (utilityCorpus, utilityProbes)] {
            try run(probes, in: corpus, maskID: masking.maskID, into: &tally) { n in
                done += n; progress(done, total)
                if isCancelled() { throw SaniError.cancelled }
            }
        }
        model.releaseActivations()
        return report(stage: stage, tally: tally.answers, extraction: tally.extraction,
                      split: heldOut == nil ? "corpus" : heldOutSplit, started: started)
    }

    struct MaskedTally {
        /// Token regurgitation and utility, tallied as the causal audit tallies them.
        var answers = TeacherForcedTally()
        var extraction = ExtractionTally()
    }

    /// The window of at most `context` tokens of a record of `count` tokens that centres `range`.
    func window(around range: Range<Int>, count: Int, context: Int) -> (start: Int, length: Int) {
        guard count > context else { return (0, count) }
        let centre = (range.lowerBound + range.upperBound) / 2
        return (min(max(0, centre - context / 2), count - context), context)
    }

    /// One probe per sensitive token (a seeded sample when there are more than `maxMaskedTokens`).
    func tokenProbes(_ corpus: TokenizedCorpus, context: Int) -> [MaskedProbe] {
        var all: [(record: Int, position: Int, label: String)] = []
        for (r, record) in corpus.records.enumerated() {
            for (t, label) in record.labels.enumerated() { if let label { all.append((r, t, label)) } }
        }
        if let cap = settings.maxMaskedTokens, all.count > cap {
            var rng = RandomSource(seed: settings.seed ^ 0x70C3_E45A)
            for i in stride(from: all.count - 1, to: 0, by: -1) { all.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            all = Array(all[0..<cap])
            all.sort { ($0.record, $0.position) < ($1.record, $1.position) }
        }
        return all.map { p in
            let (start, length) = window(around: p.position..<(p.position + 1), count: corpus.records[p.record].ids.count,
                                         context: context)
            return MaskedProbe(kind: .token(p.label), record: p.record, start: start, length: length, positions: [p.position])
        }
    }

    /// Per record (per `context`-token piece of a long record), its ordinary non-sensitive tokens dealt at
    /// random into ⌈1 / utilityMaskRate⌉ groups, each group masked together in one probe: every such token is
    /// predicted once, with about `utilityMaskRate` of its neighbours masked.
    func utilityProbes(_ corpus: TokenizedCorpus, masking: MaskingPolicy, context: Int) -> [MaskedProbe] {
        let groups = max(1, Int((1 / max(0.01, min(1, settings.utilityMaskRate))).rounded(.up)))
        var probes: [MaskedProbe] = []
        for (r, record) in corpus.records.enumerated() where !record.ids.isEmpty {
            var rng = RandomSource(seed: settings.seed ^ 0x0717_17E5 ^ (UInt64(r + 1) &* 0x9E37_79B9_7F4A_7C15))
            var start = 0
            while start < record.ids.count {
                let length = min(context, record.ids.count - start)
                var eligible = (start..<(start + length)).filter {
                    record.labels[$0] == nil && !masking.special.contains(record.ids[$0])
                }
                for i in stride(from: eligible.count - 1, to: 0, by: -1) {
                    eligible.swapAt(i, Int(rng.next() % UInt64(i + 1)))
                }
                for g in 0..<min(groups, eligible.count) {
                    let positions = stride(from: g, to: eligible.count, by: groups).map { eligible[$0] }.sorted()
                    probes.append(MaskedProbe(kind: .utility, record: r, start: start, length: length, positions: positions))
                }
                start += length
            }
        }
        return probes
    }

    /// Runs `probes` in batches of equal window length and tallies the answers.
    private func run(_ probes: [MaskedProbe], in corpus: TokenizedCorpus, maskID: Int32, into tally: inout MaskedTally,
                     advanced: (Int) throws -> Void) throws {
        let order = probes.indices.sorted {
            (probes[$0].length, probes[$0].record, probes[$0].start, $0) > (probes[$1].length, probes[$1].record, probes[$1].start, $1)
        }
        var i = 0
        while i < order.count {
            let length = probes[order[i]].length
            let rows = max(1, min(64, settings.batchTokens / length))
            var j = i
            while j < order.count, j - i < rows, probes[order[j]].length == length { j += 1 }
            let group = order[i..<j].map { probes[$0] }
            var tokens = [Int32](repeating: 0, count: group.count * length)
            for (b, probe) in group.enumerated() {
                let ids = corpus.records[probe.record].ids
                for t in 0..<length { tokens[b * length + t] = ids[probe.start + t] }
                for p in probe.positions { tokens[b * length + p - probe.start] = maskID }
            }
            // Only the masked positions are read: the model computes their logits alone, packed probe by probe.
            var firstRow: [Int] = [], wanted: [Int] = []
            for (b, probe) in group.enumerated() {
                firstRow.append(wanted.count)
                wanted += probe.positions.map { b * length + $0 - probe.start }
            }
            let logits = try model.forward(tokens: tokens, batch: group.count, length: length, rows: wanted)
            for (b, probe) in group.enumerated() {
                let ids = corpus.records[probe.record].ids
                let rowsOfProbe = Array(firstRow[b]..<(firstRow[b] + probe.positions.count))
                let predicted = rowsOfProbe.map { Int32(logits.argmax($0)) }
                let truth = probe.positions.map { ids[$0] }
                switch probe.kind {
                case .token(let label):
                    let hit = predicted == truth
                    tally.answers.regurgitation.add(hit)
                    tally.answers.regurgitationByLabel[label, default: RateFigure()].add(hit)
                case .span(let label):
                    let hit = predicted == truth
                    tally.extraction.greedy.add(hit)
                    tally.extraction.greedyByLabel[label, default: RateFigure()].add(hit)
                    if settings.samples > 0 {
                        tally.extraction.sampled.add(hit || sampledHit(logits, rows: rowsOfProbe, truth: truth, probe: probe))
                    }
                    if hit && settings.includeExamples && tally.extraction.examples.count < 20 {
                        tally.extraction.examples.append(AuditExample(
                            label: label, record: probe.record, expected: tokenizer.decode(truth.map(Int.init)),
                            generated: tokenizer.decode(predicted.map(Int.init))))
                    }
                case .utility:
                    for (row, target) in zip(rowsOfProbe, truth) {
                        let x = logits.buffer.pointer + row * logits.vocabulary
                        tally.answers.lossSum += Double(CrossEntropy.logSumExp(x, logits.vocabulary) - x[Int(target)])
                        tally.answers.utilityPositions += 1
                        if logits.argmax(row) == Int(target) { tally.answers.utilityCorrect += 1 }
                    }
                }
            }
            i = j
            try advanced(group.count)
        }
    }

    /// Whether one of `samples` fillings drawn at `temperature` (each masked position independently) spells
    /// the span.
    private func sampledHit(_ logits: LogitsView, rows: [Int], truth: [Int32], probe: MaskedProbe) -> Bool {
        let seed = settings.seed &+ UInt64(probe.record) &* 7919 &+ UInt64(probe.positions.first ?? 0)
        var rng = RandomSource(seed: seed)
        let sampling = SamplingSettings(temperature: settings.temperature, seed: seed)
        for _ in 0..<settings.samples {
            var all = true
            for (row, target) in zip(rows, truth) {
                let token = logits.withRow(row) { Sampler.sample($0, settings: sampling, rng: &rng) }
                if Int32(token) != target { all = false; break }
            }
            if all { return true }
        }
        return false
    }
}
