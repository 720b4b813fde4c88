import SaniEngine

/// The stronger attacks of a causal audit, run after its ordinary figures (see `AttackSettings`).
extension Auditor {
    /// Work units the attacks add to an audit's progress.
    func attackWork(spans: Int, exposureSpans: Int, heldOut: Bool) -> Int {
        guard let attacks = settings.attacks else { return 0 }
        let relearning = heldOut && attacks.relearnSteps > 0
            ? (reference?.decoder == nil || !attacks.againstReference ? 1 : 2) * attacks.relearnSteps + spans : 0
        return 2 * spans + exposureSpans + relearning
    }

    /// Fills the attack figures of `report` (membership is filled by the teacher-forced pass).
    func runAttacks(_ attacks: AttackSettings, on report: inout AuditReport, spans: [SpanOccurrence],
                    exposureSpans: [SpanOccurrence], memorized: TokenizedCorpus, heldOut: TokenizedCorpus?,
                    decoder: any IncrementalDecoder, isCancelled: CancellationCheck,
                    advanced: (Int) throws -> Void) throws {
        report.spanExtractionByPrefix = try extractionByPrefix(
            spans, from: memorized, decoder: decoder, shortPrefix: attacks.shortPrefixTokens,
            configured: report.spanExtraction, advanced: advanced)
        if attacks.exposureCandidates > 0 {
            report.exposure = try exposure(of: exposureSpans, in: memorized, candidates: attacks.exposureCandidates,
                                           advanced: advanced)
        }
        if let heldOut, attacks.relearnSteps > 0 {
            func attack(on target: any LanguageModel) -> RelearningAttack {
                RelearningAttack(model: target, steps: attacks.relearnSteps, batchSize: attacks.relearnBatchSize,
                                 learningRate: attacks.relearnLearningRate,
                                 sequenceLength: attacks.relearnSequenceLength, seed: settings.seed)
            }
            var relearned = ExtractionTally()
            try attack(on: model).whileRelearned(on: heldOut, isCancelled: isCancelled, advanced: advanced) {
                // With a reference, it is relearned the same way, and both decode the same prompts.
                if attacks.againstReference, let reference, let referenceDecoder = reference.decoder {
                    try attack(on: reference).whileRelearned(on: heldOut, isCancelled: isCancelled, advanced: advanced) {
                        try extract(spans, from: memorized, decoder: decoder, prefix: settings.prefixTokens, samples: 0,
                                    into: &relearned, reference: referenceDecoder, advanced: advanced)
                    }
                } else {
                    try extract(spans, from: memorized, decoder: decoder, prefix: settings.prefixTokens, samples: 0,
                                into: &relearned, advanced: advanced)
                }
            }
            var figure = RelearningFigure(steps: attacks.relearnSteps, learningRate: attacks.relearnLearningRate,
                                          spanExtraction: relearned.greedy, spanExtractionByLabel: relearned.greedyByLabel)
            figure.beyondReference = relearned.beyondReference
            report.relearned = figure
        }
    }

    /// Greedy span extraction from a short prefix, the configured P (already measured) and everything before the
    /// span within the model's context, keyed `"8"`, `"32"`, `"all"`.
    func extractionByPrefix(_ spans: [SpanOccurrence], from corpus: TokenizedCorpus, decoder: any IncrementalDecoder,
                            shortPrefix: Int, configured: RateFigure,
                            advanced: (Int) throws -> Void) throws -> [String: RateFigure] {
        var out = ["\(settings.prefixTokens)": configured]
        if shortPrefix != settings.prefixTokens {
            var short = ExtractionTally()
            try extract(spans, from: corpus, decoder: decoder, prefix: shortPrefix, samples: 0, into: &short,
                        advanced: advanced)
            out["\(shortPrefix)"] = short.greedy
        } else {
            try advanced(spans.count)
        }
        var whole = ExtractionTally()
        try extract(spans, from: corpus, decoder: decoder, prefix: model.maxPositions, samples: 0, into: &whole,
                    advanced: advanced)
        out["all"] = whole.greedy
        return out
    }
}
