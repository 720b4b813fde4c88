import SaniEngine

/// The relearning attack: an attacker fine-tunes the model briefly on notes of the same kind that hold none of the
/// training identifiers (AdamW, the ordinary loss on every position: next-token for a causal model, the masked-LM
/// loss with the usual 15 % masking for a masked one) and tries extraction again. The parameter
/// values are copied first and put back exactly afterwards, whatever happens in between.
public struct RelearningAttack {
    public let model: any LanguageModel
    public let steps: Int
    public let batchSize: Int
    public let learningRate: Double
    public let sequenceLength: Int
    public let seed: UInt64
    /// How the model frames and predicts its sequences; nil: causal, led by the model's separator.
    public let scheme: TrainingScheme?

    public init(model: any LanguageModel, steps: Int, batchSize: Int, learningRate: Double, sequenceLength: Int,
                seed: UInt64, scheme: TrainingScheme? = nil) {
        self.model = model; self.steps = steps; self.batchSize = batchSize; self.learningRate = learningRate
        self.sequenceLength = sequenceLength; self.seed = seed; self.scheme = scheme
    }

    /// Fine-tunes on `notes` for `steps` steps, runs `body` on the relearned model, then restores the parameter
    /// values. `advanced(1)` follows every step.
    public func whileRelearned<T>(on notes: TokenizedCorpus, isCancelled: CancellationCheck = { false },
                                  advanced: (Int) throws -> Void = { _ in },
                                  _ body: () throws -> T) throws -> T {
        let saved = model.parameters.values.clone()
        defer {
            model.parameters.values.copy(from: saved)
            model.parameters.dropGradients()
            model.releaseActivations()
        }
        try relearn(on: notes, isCancelled: isCancelled, advanced: advanced)
        return try body()
    }

    /// The fine-tune itself (it leaves the model changed).
    func relearn(on notes: TokenizedCorpus, isCancelled: CancellationCheck, advanced: (Int) throws -> Void) throws {
        // Every target counts: the attacker has no blacklist to spare.
        let plain = TokenizedCorpus(records: notes.records.map { r in
            TokenizedRecord(ids: r.ids, labels: [String?](repeating: nil, count: r.ids.count), spans: [])
        })
        let scheme = self.scheme ?? TrainingScheme.causal(separator: model.separatorTokenID)
        let windows = TrainingWindows(corpus: plain, length: min(sequenceLength, model.maxPositions), scheme: scheme)
        guard windows.count > 0 else {
            throw SaniError.invalidArgument("the held-out notes are too short for the relearning attack (\(notes.tokenCount) tokens)")
        }
        let optimizer = AdamW(parameters: model.parameters)
        var order: [Int] = []
        var pass: UInt64 = 0
        model.parameters.ensureGradients()
        for step in 0..<steps {
            if isCancelled() { throw SaniError.cancelled }
            if order.count < batchSize {
                order += windows.order(seed: seed &+ 0x7E1E_A7 &+ pass)
                pass += 1
            }
            let batch = Array(order.prefix(min(batchSize, windows.count)))
            order.removeFirst(batch.count)
            // A masked model draws its targets afresh at every step, reproducibly.
            let b = windows.batch(batch, maskSeed: seed &+ 0x3A5C_ED &+ UInt64(step) &* 0x9E37_79B9)
            model.parameters.zeroGradients()
            _ = try Sanitizer.wrapEngine {
                try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                              batch: batch.count, length: windows.length)
            }
            if let g = model.parameters.gradients { GradientClipping.clip(g, maxNorm: 1) }
            optimizer.update(learningRate: Float(learningRate))
            try advanced(1)
        }
    }
}
