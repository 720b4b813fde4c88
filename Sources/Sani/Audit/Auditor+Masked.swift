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
        /// `score`: only read for membership (its tokens are sensitive or not), counted in no other figure.
        enum Kind { case token(String), span(String), utility, score(sensitive: Bool) }
        let kind: Kind
        let record: Int
        /// Window of the record fed to the model.
        let start: Int
        let length: Int
        /// Masked positions, in record coordinates.
        let positions: [Int]

        /// The same question, read for membership only; `sensitive`: its tokens are identifiers.
        func scoring(sensitive: Bool) -> MaskedProbe {
            MaskedProbe(kind: .score(sensitive: sensitive), record: record, start: start, length: length,
                        positions: positions)
        }

        /// Whether membership reads this question, and whether its tokens are identifiers (spans are not read:
        /// their tokens are the token questions').
        var membershipRead: (read: Bool, sensitive: Bool) {
            switch kind {
            case .token: return (true, true)
            case .score(let sensitive): return (true, sensitive)
            case .utility: return (true, false)
            case .span: return (false, false)
            }
        }
    }

    func auditMasked(stage: String, memorized: TokenizedCorpus, heldOut: TokenizedCorpus?, heldOutSplit: String,
                     progress: (Int, Int) -> Void, isCancelled: CancellationCheck) throws -> AuditReport {
        let started = Date()
        let scheme = try TrainingScheme(model: model, tokenizer: tokenizer)
        guard let masking = scheme.masking else { throw SaniError.model("the model has no mask token") }
        let context = max(2, min(settings.maskedWindow, model.maxPositions))
        // The attacks need held-out notes (membership and relearning both read them).
        let attacks = heldOut == nil ? nil : settings.attacks
        let membership = attacks?.membership == true

        let tokenProbes = self.tokenProbes(memorized, context: context)
        let spanProbes = selectSpans(memorized).map { s in
            // A span longer than the window is cut to what the window holds, with one token of context.
            let range = s.range.lowerBound..<min(s.range.upperBound, s.range.lowerBound + context - 1)
            let (start, length) = window(around: range, count: memorized.records[s.record].ids.count, context: context)
            return MaskedProbe(kind: .span(s.label), record: s.record, start: start, length: length, positions: Array(range))
        }
        let utilityCorpus = heldOut ?? memorized
        let utilityProbes = self.utilityProbes(utilityCorpus, masking: masking, context: context)
        // Membership reads every token of every record: the ordinary ones as utility reads them (masked with a
        // seeded share of their neighbours), the sensitive ones masked alone, on both sides.
        let memberScoreProbes = membership
            ? self.utilityProbes(memorized, masking: masking, context: context).map { $0.scoring(sensitive: false) } : []
        let nonMemberScoreProbes = membership && heldOut != nil
            ? self.tokenProbes(heldOut!, context: context).map { $0.scoring(sensitive: true) } : []
        let relearning = attacks.map { $0.relearnSteps > 0 } ?? false
        let againstReference = attacks?.againstReference == true && reference != nil
        var total = tokenProbes.count + spanProbes.count + utilityProbes.count
            + memberScoreProbes.count + nonMemberScoreProbes.count
        if againstReference {
            total += tokenProbes.count + spanProbes.count
                + (membership ? memberScoreProbes.count + utilityProbes.count + nonMemberScoreProbes.count : 0)
        }
        if relearning, let attacks {
            total += (againstReference ? 2 : 1) * (attacks.relearnSteps + spanProbes.count)
        }
        var done = 0
        func advanced(_ n: Int) throws {
            done += n; progress(done, total)
            if isCancelled() { throw SaniError.cancelled }
        }
        // The ordinary questions run in the batches they always run in (the attacks change no ordinary figure);
        // the membership-only questions run on their own.
        var tally = MaskedTally(recordsWithScores: membership ? memorized.records.count : nil)
        try run(tokenProbes + spanProbes, in: memorized, maskID: masking.maskID, into: &tally, advanced: advanced)
        try run(memberScoreProbes, in: memorized, maskID: masking.maskID, into: &tally, advanced: advanced)
        var utilityTally = MaskedTally(recordsWithScores: membership ? utilityCorpus.records.count : nil)
        try run(utilityProbes, in: utilityCorpus, maskID: masking.maskID, into: &utilityTally, advanced: advanced)
        try run(nonMemberScoreProbes, in: utilityCorpus, maskID: masking.maskID, into: &utilityTally,
                advanced: advanced)
        tally.answers.lossSum = utilityTally.answers.lossSum
        tally.answers.utilityPositions = utilityTally.answers.utilityPositions
        tally.answers.utilityCorrect = utilityTally.answers.utilityCorrect
        model.releaseActivations()
        var report = report(stage: stage, tally: tally.answers, extraction: tally.extraction,
                            split: heldOut == nil ? "corpus" : heldOutSplit, started: started)
        guard let attacks, let heldOut else { return report }

        // The reference answers the same questions in the same batches: the spans this model fills in and the
        // reference does not, and (membership) each record's score under the reference.
        let referenceAuditor = reference.map { Auditor(model: $0, tokenizer: tokenizer, settings: settings) }
        var referenceMembers = MaskedTally(recordsWithScores: memorized.records.count)
        var referenceNonMembers = MaskedTally(recordsWithScores: heldOut.records.count)
        if againstReference, let referenceAuditor {
            try referenceAuditor.run(tokenProbes + spanProbes, in: memorized, maskID: masking.maskID,
                                     into: &referenceMembers, advanced: advanced)
            report.beyondReference = beyond(tally.spanOutcomes, referenceMembers.spanOutcomes, probes: spanProbes)
            if membership {
                try referenceAuditor.run(memberScoreProbes, in: memorized, maskID: masking.maskID,
                                         into: &referenceMembers, advanced: advanced)
                try referenceAuditor.run(utilityProbes, in: heldOut, maskID: masking.maskID,
                                         into: &referenceNonMembers, advanced: advanced)
                try referenceAuditor.run(nonMemberScoreProbes, in: heldOut, maskID: masking.maskID,
                                         into: &referenceNonMembers, advanced: advanced)
            }
            referenceAuditor.model.releaseActivations()
        }
        if membership, let members = tally.recordLogProbabilities,
           let nonMembers = utilityTally.recordLogProbabilities {
            report.membership = MembershipInference.figure(members: members, nonMembers: nonMembers,
                                                           k: attacks.minKFraction)
            if let sensitive = tally.recordSensitiveLogProbabilities,
               let heldOutSensitive = utilityTally.recordSensitiveLogProbabilities {
                report.membership?.identifiers = MembershipInference.identifierFigure(
                    members: sensitive, nonMembers: heldOutSensitive)
            }
            if againstReference {
                // The reference attack: each record's score calibrated by the reference's score on the same questions.
                report.membership?.setReference(MembershipInference.referenceAUC(
                    members: members, nonMembers: nonMembers,
                    referenceMembers: referenceMembers.recordLogProbabilities ?? [],
                    referenceNonMembers: referenceNonMembers.recordLogProbabilities ?? []))
            }
        }
        if relearning {
            // The relearning attack, with the masked-LM loss on the held-out notes; the span probes asked again.
            func attack(on target: any LanguageModel) -> RelearningAttack {
                RelearningAttack(model: target, steps: attacks.relearnSteps, batchSize: attacks.relearnBatchSize,
                                 learningRate: attacks.relearnLearningRate,
                                 sequenceLength: min(attacks.relearnSequenceLength, context), seed: settings.seed,
                                 scheme: scheme)
            }
            var relearned = MaskedTally()
            try attack(on: model).whileRelearned(on: heldOut, isCancelled: isCancelled, advanced: advanced) {
                try run(spanProbes, in: memorized, maskID: masking.maskID, into: &relearned, advanced: advanced)
            }
            var figure = RelearningFigure(steps: attacks.relearnSteps, learningRate: attacks.relearnLearningRate,
                                          spanExtraction: relearned.extraction.greedy,
                                          spanExtractionByLabel: relearned.extraction.greedyByLabel)
            if againstReference, let referenceAuditor, let referenceModel = reference {
                var referenceRelearned = MaskedTally()
                try attack(on: referenceModel).whileRelearned(on: heldOut, isCancelled: isCancelled,
                                                              advanced: advanced) {
                    try referenceAuditor.run(spanProbes, in: memorized, maskID: masking.maskID,
                                             into: &referenceRelearned, advanced: advanced)
                }
                figure.beyondReference = beyond(relearned.spanOutcomes, referenceRelearned.spanOutcomes,
                                                probes: spanProbes, sampled: false)
            }
            report.relearned = figure
        }
        model.releaseActivations()
        progress(total, total)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// The spans filled in by one model and not by the other, probe by probe (`outcomes` keyed by probe index).
    private func beyond(_ own: [SpanKey: SpanOutcome], _ reference: [SpanKey: SpanOutcome], probes: [MaskedProbe],
                        sampled: Bool = true) -> ReferenceExtractionFigure {
        var figure = ReferenceExtractionFigure()
        for probe in probes {
            guard case .span(let label) = probe.kind, let mine = own[SpanKey(probe)],
                  let theirs = reference[SpanKey(probe)] else { continue }
            figure.add(label: label, extracted: mine.greedy, byReference: theirs.greedy)
            if sampled, settings.samples > 0 {
                figure.addSampled(extracted: mine.sampled, byReference: theirs.sampled)
            }
        }
        return figure
    }

    /// A span question: its record and first masked position.
    struct SpanKey: Hashable {
        let record: Int
        let position: Int
        init(_ probe: MaskedProbe) { record = probe.record; position = probe.positions.first ?? -1 }
    }

    struct SpanOutcome {
        var greedy: Bool
        /// Greedy or one of the sampled fillings.
        var sampled: Bool
    }

    struct MaskedTally {
        /// Token regurgitation and utility, tallied as the causal audit tallies them.
        var answers = TeacherForcedTally()
        var extraction = ExtractionTally()
        /// Per span question, whether it was filled in.
        var spanOutcomes: [SpanKey: SpanOutcome] = [:]
        /// Per record, the log-probability of each token a token, utility or scoring probe asked (membership).
        var recordLogProbabilities: [[Float]]?
        /// Per record, the log-probability of each sensitive token asked.
        var recordSensitiveLogProbabilities: [[Float]]?

        init(recordsWithScores records: Int? = nil) {
            if let records {
                recordLogProbabilities = Array(repeating: [], count: records)
                recordSensitiveLogProbabilities = recordLogProbabilities
            }
        }
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
    func run(_ probes: [MaskedProbe], in corpus: TokenizedCorpus, maskID: Int32, into tally: inout MaskedTally,
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
                let (read, sensitive) = probe.membershipRead
                if read && tally.recordLogProbabilities != nil {
                    for (row, target) in zip(rowsOfProbe, truth) {
                        let x = logits.buffer.pointer + row * logits.vocabulary
                        let logProbability = x[Int(target)] - CrossEntropy.logSumExp(x, logits.vocabulary)
                        tally.recordLogProbabilities?[probe.record].append(logProbability)
                        if sensitive { tally.recordSensitiveLogProbabilities?[probe.record].append(logProbability) }
                    }
                }
                switch probe.kind {
                case .token(let label):
                    let hit = predicted == truth
                    tally.answers.regurgitation.add(hit)
                    tally.answers.regurgitationByLabel[label, default: RateFigure()].add(hit)
                case .span(let label):
                    let hit = predicted == truth
                    tally.extraction.greedy.add(hit)
                    tally.extraction.greedyByLabel[label, default: RateFigure()].add(hit)
                    var outcome = SpanOutcome(greedy: hit, sampled: hit)
                    if settings.samples > 0 {
                        outcome.sampled = hit || sampledHit(logits, rows: rowsOfProbe, truth: truth, probe: probe)
                        tally.extraction.sampled.add(outcome.sampled)
                    }
                    tally.spanOutcomes[SpanKey(probe)] = outcome
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
                case .score:
                    break
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
