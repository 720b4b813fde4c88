import Foundation
import SaniEngine

/// Settings of an audit.
public struct AuditSettings: Sendable, Equatable {
    /// Tokens of context before a span when trying to extract it (P).
    public var prefixTokens: Int = 32
    /// Sampled attempts per span at `temperature`, on top of the greedy one (0: greedy only).
    public var samples: Int = 0
    public var temperature: Float = 1
    public var seed: UInt64 = 0
    /// Audit at most this many span occurrences (a seeded sample) to bound the time on large corpora.
    public var maxSpans: Int? = 2000
    /// Longest span, in tokens, that the extraction audit tries to reproduce.
    public var maxSpanTokens: Int = 48
    /// Keep regurgitated examples (the sensitive strings) in the report.
    public var includeExamples: Bool = false
    /// Longest context of a teacher-forced pass.
    public var contextLength: Int = 512
    /// Tokens per forward batch.
    public var batchTokens: Int = 4096
    /// Span-extraction prompts decoded together (1: one at a time). The figures do not depend on it, up to
    /// the rounding of batched products (see `Generator`).
    public var generationBatch: Int = 32
    /// Masked models: tokens of the window around each question (the cost of an audit grows with it; the
    /// sanitizer uses its training sequence length).
    public var maskedWindow: Int = 128
    /// Masked models: audit at most this many sensitive tokens (a seeded sample), each masked in its own pass.
    public var maxMaskedTokens: Int? = 4000
    /// Masked models: fraction of the non-sensitive tokens masked at once when measuring utility.
    public var utilityMaskRate: Double = 0.15
    /// Stronger attacks run on top (nil: none; causal models only).
    public var attacks: AttackSettings? = nil

    public init() {}
}

/// Measures memorization and utility of a language model. Causal models: the paper's token regurgitation
/// (teacher-forced top-1 on sensitive targets), span extraction by greedy decoding from the preceding tokens,
/// perplexity / accuracy on non-sensitive positions. Masked models: see `auditMasked`.
public struct Auditor {
    public let model: any LanguageModel
    public let tokenizer: any TextTokenizer
    public let settings: AuditSettings
    /// A model that never saw the corpus (the one its fine-tune started from): each span is also decoded by it,
    /// and the report counts the spans the audited model extracts and it does not.
    public let reference: (any LanguageModel)?

    public init(model: any LanguageModel, tokenizer: any TextTokenizer, settings: AuditSettings,
                reference: (any LanguageModel)? = nil) {
        self.model = model; self.tokenizer = tokenizer; self.settings = settings; self.reference = reference
    }

    /// Audits `memorized` (the corpus the model was fine-tuned on) and measures utility on `heldOut`
    /// (or on `memorized` when nil); `heldOutSplit` names `heldOut` in the report. `progress(done, total)` is
    /// called as work advances.
    public func audit(stage: String, memorized: TokenizedCorpus, heldOut: TokenizedCorpus?,
                      heldOutSplit: String = "held-out",
                      progress: (Int, Int) -> Void = { _, _ in },
                      isCancelled: CancellationCheck = { false }) throws -> AuditReport {
        if model.objective == .masked {
            return try auditMasked(stage: stage, memorized: memorized, heldOut: heldOut, heldOutSplit: heldOutSplit,
                                   progress: progress, isCancelled: isCancelled)
        }
        guard let decoder = model.decoder else {
            throw SaniError.model("the \(model.family) model does not decode incrementally; span extraction needs it")
        }
        let started = Date()
        let spans = selectSpans(memorized)
        let memorizedSegments = segments(memorized)
        let heldOutSegments = heldOut.map(segments) ?? []
        let attackSpans = settings.attacks.map { exposureSpans(spans, in: memorized, settings: $0) } ?? []
        let total = memorizedSegments.count + heldOutSegments.count + spans.count
            + attackWork(spans: spans.count, exposureSpans: attackSpans.count, heldOut: heldOut != nil)
        var done = 0
        var tally = TeacherForcedTally()
        // Membership inference reads the log-probability of every predicted token of every record.
        let membership = settings.attacks?.membership == true && heldOut != nil
        if membership {
            tally.recordLogProbabilities = Array(repeating: [], count: memorized.records.count)
            tally.recordSensitiveLogProbabilities = tally.recordLogProbabilities
        }
        try teacherForced(memorized, memorizedSegments, utility: heldOut == nil, into: &tally) { n in
            done += n; progress(done, total)
            if isCancelled() { throw SaniError.cancelled }
        }
        var nonMemberLogProbabilities: [[Float]]?, nonMemberSensitiveLogProbabilities: [[Float]]?
        if let heldOut {
            var heldOutTally = TeacherForcedTally()
            if membership {
                heldOutTally.recordLogProbabilities = Array(repeating: [], count: heldOut.records.count)
                heldOutTally.recordSensitiveLogProbabilities = heldOutTally.recordLogProbabilities
            }
            try teacherForced(heldOut, heldOutSegments, utility: true, into: &heldOutTally) { n in
                done += n; progress(done, total)
                if isCancelled() { throw SaniError.cancelled }
            }
            tally.lossSum = heldOutTally.lossSum
            tally.utilityPositions = heldOutTally.utilityPositions
            tally.utilityCorrect = heldOutTally.utilityCorrect
            nonMemberLogProbabilities = heldOutTally.recordLogProbabilities
            nonMemberSensitiveLogProbabilities = heldOutTally.recordSensitiveLogProbabilities
        }
        model.releaseActivations()
        var extraction = ExtractionTally()
        let advanced: (Int) throws -> Void = { n in
            done += n; progress(done, total)
            if isCancelled() { throw SaniError.cancelled }
        }
        try extract(spans, from: memorized, decoder: decoder, prefix: settings.prefixTokens,
                    samples: settings.samples, into: &extraction, reference: reference?.decoder, advanced: advanced)
        var report = report(stage: stage, tally: tally, extraction: extraction,
                            split: heldOut == nil ? "corpus" : heldOutSplit, started: started)
        if let beyond = extraction.beyondReference { report.beyondReference = beyond }
        if let attacks = settings.attacks {
            if let members = tally.recordLogProbabilities, let nonMembers = nonMemberLogProbabilities {
                report.membership = MembershipInference.figure(members: members, nonMembers: nonMembers,
                                                               k: attacks.minKFraction)
                if let sensitive = tally.recordSensitiveLogProbabilities,
                   let heldOutSensitive = nonMemberSensitiveLogProbabilities {
                    report.membership?.identifiers = MembershipInference.identifierFigure(
                        members: sensitive, nonMembers: heldOutSensitive)
                }
                if let reference, let heldOut {
                    // The reference attack: a record's loss calibrated by the reference model's loss on it.
                    let referenceAuditor = Auditor(model: reference, tokenizer: tokenizer, settings: settings)
                    report.membership?.setReference(MembershipInference.referenceAUC(
                        members: members, nonMembers: nonMembers,
                        referenceMembers: try referenceAuditor.recordLogProbabilities(memorized, memorizedSegments),
                        referenceNonMembers: try referenceAuditor.recordLogProbabilities(heldOut, heldOutSegments)))
                }
            }
            try runAttacks(attacks, on: &report, spans: spans, exposureSpans: attackSpans, memorized: memorized,
                           heldOut: heldOut, decoder: decoder, isCancelled: isCancelled, advanced: advanced)
            progress(total, total)
            report.seconds = Date().timeIntervalSince(started)
        }
        return report
    }

    /// The report of tallied answers.
    func report(stage: String, tally: TeacherForcedTally, extraction: ExtractionTally, split: String,
                started: Date) -> AuditReport {
        let positions = tally.utilityPositions
        let utility = UtilityFigure(
            perplexity: positions == 0 ? .nan : Foundation.exp(tally.lossSum / Double(positions)),
            accuracy: positions == 0 ? 0 : Double(tally.utilityCorrect) / Double(positions),
            positions: positions, split: split)
        return AuditReport(
            stage: stage,
            tokenRegurgitation: tally.regurgitation, tokenRegurgitationByLabel: tally.regurgitationByLabel,
            spanExtraction: extraction.greedy, spanExtractionByLabel: extraction.greedyByLabel,
            sampledExtraction: settings.samples > 0 ? extraction.sampled : nil,
            utility: utility, examples: settings.includeExamples ? extraction.examples : nil,
            seconds: Date().timeIntervalSince(started), trainingLoss: nil,
            spanExtractionBeyondPrompt: extraction.greedyBeyondPrompt)
    }

    /// Whether `span` occurs as a contiguous run of tokens in `prompt`.
    static func occurs(_ span: [Int32], in prompt: [Int32]) -> Bool {
        guard !span.isEmpty, span.count <= prompt.count else { return false }
        for start in 0...(prompt.count - span.count) where prompt[start] == span[0] {
            if prompt[start..<(start + span.count)].elementsEqual(span) { return true }
        }
        return false
    }

    // MARK: - Teacher-forced pass

    struct Segment { let record: Int; let start: Int; let end: Int }

    struct TeacherForcedTally {
        var regurgitation = RateFigure()
        var regurgitationByLabel: [String: RateFigure] = [:]
        var lossSum = 0.0
        var utilityPositions = 0
        var utilityCorrect = 0
        /// Per record, the log-probability of each predicted token (collected for membership inference).
        var recordLogProbabilities: [[Float]]?
        /// Per record, the log-probability of each predicted sensitive token (identifier membership inference).
        var recordSensitiveLogProbabilities: [[Float]]?
    }

    /// Pieces of at most `contextLength` tokens; consecutive pieces overlap by one token so that every target
    /// is predicted exactly once.
    func segments(_ corpus: TokenizedCorpus) -> [Segment] {
        let ctx = max(2, min(settings.contextLength, model.maxPositions))
        var out: [Segment] = []
        for (r, record) in corpus.records.enumerated() where record.ids.count >= 2 {
            var s = 0
            while true {
                let e = min(record.ids.count, s + ctx)
                out.append(Segment(record: r, start: s, end: e))
                if e >= record.ids.count { break }
                s = e - 1
            }
        }
        return out.sorted { ($0.end - $0.start) > ($1.end - $1.start) }
    }

    /// Per record, the log-probability of each predicted token (the reference attack's calibration).
    func recordLogProbabilities(_ corpus: TokenizedCorpus, _ segments: [Segment]) throws -> [[Float]] {
        var tally = TeacherForcedTally()
        tally.recordLogProbabilities = Array(repeating: [], count: corpus.records.count)
        try teacherForced(corpus, segments, utility: false, into: &tally) { _ in }
        model.releaseActivations()
        return tally.recordLogProbabilities ?? []
    }

    private func teacherForced(_ corpus: TokenizedCorpus, _ segments: [Segment], utility: Bool,
                               into tally: inout TeacherForcedTally, advanced: (Int) throws -> Void) throws {
        var i = 0
        while i < segments.count {
            let length = segments[i].end - segments[i].start
            let rows = max(1, min(64, settings.batchTokens / length))
            let group = Array(segments[i..<min(segments.count, i + rows)])
            var tokens = [Int32](repeating: 0, count: group.count * length)
            for (b, seg) in group.enumerated() {
                let ids = corpus.records[seg.record].ids
                for t in 0..<(seg.end - seg.start) { tokens[b * length + t] = ids[seg.start + t] }
            }
            let logits = try model.forward(tokens: tokens, batch: group.count, length: length)
            for (b, seg) in group.enumerated() {
                let record = corpus.records[seg.record]
                for t in 0..<(seg.end - seg.start - 1) {
                    let target = Int(record.ids[seg.start + t + 1])
                    let row = b * length + t
                    let predicted = logits.argmax(row)
                    if tally.recordLogProbabilities != nil {
                        let lse = CrossEntropy.logSumExp(logits.buffer.pointer + row * logits.vocabulary, logits.vocabulary)
                        let logProbability = logits.buffer.pointer[row * logits.vocabulary + target] - lse
                        tally.recordLogProbabilities?[seg.record].append(logProbability)
                        if record.labels[seg.start + t + 1] != nil {
                            tally.recordSensitiveLogProbabilities?[seg.record].append(logProbability)
                        }
                    }
                    if let label = record.labels[seg.start + t + 1] {
                        tally.regurgitation.add(predicted == target)
                        tally.regurgitationByLabel[label, default: RateFigure()].add(predicted == target)
                    } else if utility {
                        let lse = CrossEntropy.logSumExp(logits.buffer.pointer + row * logits.vocabulary, logits.vocabulary)
                        tally.lossSum += Double(lse - logits.buffer.pointer[row * logits.vocabulary + target])
                        tally.utilityPositions += 1
                        if predicted == target { tally.utilityCorrect += 1 }
                    }
                }
            }
            i += group.count
            try advanced(group.count)
        }
    }

    // MARK: - Span extraction

    struct SpanOccurrence { let record: Int; let label: String; let range: Range<Int> }

    struct ExtractionTally {
        var greedy = RateFigure()
        var greedyByLabel: [String: RateFigure] = [:]
        var sampled = RateFigure()
        var examples: [AuditExample] = []
        /// With a reference model: the spans extracted by the audited model and not by the reference.
        var beyondReference: ReferenceExtractionFigure?
        /// Causal models: the spans extracted greedily whose tokens do not occur in their own prompt (a span the
        /// prompt already holds, a name repeated from the line before, can be copied without being remembered).
        var greedyBeyondPrompt: RateFigure?
    }

    /// Every span with at least one token of context before it, capped in length; a seeded sample when there
    /// are more than `maxSpans`.
    func selectSpans(_ corpus: TokenizedCorpus) -> [SpanOccurrence] {
        var all: [SpanOccurrence] = []
        // A span is cut to leave at least one token of prompt inside the model's context.
        let longest = max(1, min(settings.maxSpanTokens, model.maxPositions - 1))
        for (r, record) in corpus.records.enumerated() {
            for s in record.spans where s.range.lowerBound >= 1 && !s.range.isEmpty {
                let upper = min(s.range.upperBound, s.range.lowerBound + longest)
                all.append(SpanOccurrence(record: r, label: s.label, range: s.range.lowerBound..<upper))
            }
        }
        if let cap = settings.maxSpans, all.count > cap {
            var rng = RandomSource(seed: settings.seed ^ 0x5A11_7E57)
            for i in stride(from: all.count - 1, to: 0, by: -1) {
                all.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            all = Array(all[0..<cap])
        }
        return all.sorted { $0.range.count < $1.range.count }
    }

    /// Greedy (and, with `samples`, sampled) extraction of `spans` from up to `prefix` preceding tokens.
    ///
    /// Every prompt of a chunk of spans is decoded in batches of `generationBatch` sequences (see `Generator`);
    /// a sequence stops at its first token that differs from the span, since only a whole reproduction counts.
    /// Sampled attempt `s` of span `g` (its index in `spans`) draws from its own stream, seeded from
    /// `settings.seed`, `g` and `s`, so the figures do not depend on the batch size.
    func extract(_ spans: [SpanOccurrence], from corpus: TokenizedCorpus, decoder: any IncrementalDecoder,
                 prefix p: Int, samples: Int, into tally: inout ExtractionTally,
                 reference: (any IncrementalDecoder)? = nil,
                 advanced: (Int) throws -> Void) throws {
        if reference != nil && tally.beyondReference == nil { tally.beyondReference = ReferenceExtractionFigure() }
        if tally.greedyBeyondPrompt == nil { tally.greedyBeyondPrompt = RateFigure() }
        let batch = max(1, settings.generationBatch)
        // Progress and cancellation are reported after each chunk; a chunk holds several batches so that the
        // batches stay full until its last few sequences.
        let chunk = max(256, 8 * batch)
        var i = 0
        while i < spans.count {
            let j = min(spans.count, i + chunk)
            let group = Array(spans[i..<j])
            let truths = group.map { Array(corpus.records[$0.record].ids[$0.range]) }
            // The prompt keeps the positions it has in its record (within the model's context).
            let greedyRequests = zip(group, truths).map { s, truth -> GenerationRequest in
                let ctxStart = max(0, s.range.upperBound - model.maxPositions)
                let start = max(ctxStart, s.range.lowerBound - p) - ctxStart
                let ids = corpus.records[s.record].ids
                return GenerationRequest(prompt: Array(ids[(ctxStart + start)..<s.range.lowerBound]),
                                         startPosition: start, maxNewTokens: truth.count, expected: truth)
            }
            let greedy = try Generator.generate(decoder, requests: greedyRequests, batchSize: batch)
            let hits = zip(greedy, truths).map { $0.tokens == $1 }
            let referenceHits = try reference.map {
                try zip(Generator.generate($0, requests: greedyRequests, batchSize: batch), truths).map { $0.tokens == $1 }
            }
            // A span the greedy attempt reproduces counts as extracted by sampling too: only the others are sampled.
            // The reference samples the same prompts with the same seeds.
            func sampled(_ decoder: any IncrementalDecoder, greedyHits: [Bool]) throws -> [Bool] {
                var sampledHits = greedyHits
                guard samples > 0 else { return sampledHits }
                var requests: [GenerationRequest] = []
                var owners: [Int] = []
                for (k, request) in greedyRequests.enumerated() where !greedyHits[k] {
                    for attempt in 0..<samples {
                        var r = request
                        r.seed = Self.samplingSeed(settings.seed, span: i + k, attempt: attempt, attempts: samples)
                        requests.append(r)
                        owners.append(k)
                    }
                }
                let sampling = SamplingSettings(temperature: settings.temperature)
                let results = try Generator.generate(decoder, requests: requests, sampling: sampling, batchSize: batch)
                for (result, k) in zip(results, owners) where result.tokens == truths[k] { sampledHits[k] = true }
                return sampledHits
            }
            let sampledHits = try sampled(decoder, greedyHits: hits)
            var referenceSampledHits: [Bool]?
            if samples > 0, settings.attacks?.againstReference == true, let reference, let referenceHits {
                referenceSampledHits = try sampled(reference, greedyHits: referenceHits)
            }
            for (k, s) in group.enumerated() {
                let hit = hits[k]
                tally.greedy.add(hit)
                tally.greedyBeyondPrompt?.add(hit && !Self.occurs(truths[k], in: greedyRequests[k].prompt))
                tally.greedyByLabel[s.label, default: RateFigure()].add(hit)
                if let referenceHits {
                    tally.beyondReference?.add(label: s.label, extracted: hit, byReference: referenceHits[k])
                }
                if let referenceSampledHits {
                    tally.beyondReference?.addSampled(extracted: sampledHits[k], byReference: referenceSampledHits[k])
                }
                if samples > 0 { tally.sampled.add(sampledHits[k]) }
                if hit && settings.includeExamples && tally.examples.count < 20 {
                    tally.examples.append(AuditExample(label: s.label, record: s.record,
                                                       expected: tokenizer.decode(truths[k].map(Int.init)),
                                                       generated: tokenizer.decode(greedy[k].tokens.map(Int.init))))
                }
            }
            i = j
            try advanced(group.count)
        }
    }

    /// Seed of sampled attempt `attempt` at span `span` of an audit seeded `seed`.
    static func samplingSeed(_ seed: UInt64, span: Int, attempt: Int, attempts: Int) -> UInt64 {
        seed &+ 0x5A3D_1E57 &+ (UInt64(span) &* UInt64(attempts) &+ UInt64(attempt)) &* 0x9E37_79B9_7F4A_7C15
    }
}
