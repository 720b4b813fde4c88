import Foundation
import SaniEngine

/// Ordinary fine-tuning (every position weighs 1): how a memorizing model is made, in the tests and the demo.
/// With `neverLearn`, the sensitive targets its blacklist marks weigh 0 from the first step: the model a
/// sanitization should come close to (fine-tuned on the same notes, never taught an identifier).
public struct FineTuner {
    public struct Options: Sendable {
        public var epochs = 3
        public var learningRate = 1e-3
        public var batchSize = 8
        public var sequenceLength = 128
        public var seed: UInt64 = 0
        public var warmupSteps = 10
        /// Start from random weights (the family's initialisation) instead of the folder's weights.
        public var fromScratch = false
        /// The spans never learned (nil: every position is a target).
        public var neverLearn: BlacklistBuilder.Options?
        public init() {}
    }

    public let options: Options
    public init(options: Options) { self.options = options }

    /// Trains the model of `modelFolder` on `corpus` and saves the result in `output`. Returns the mean loss
    /// of every epoch. `onStep(epoch, step, steps, loss)` follows every step.
    @discardableResult
    public func run(modelFolder: URL, corpus corpusURL: URL, output: URL,
                    isCancelled: CancellationCheck = { false },
                    onStep: (Int, Int, Int, Double) -> Void = { _, _, _, _ in }) throws -> [Double] {
        let model: any LanguageModel
        if options.fromScratch {
            model = try Sanitizer.wrapEngine { try LanguageModelLoader.initialized(folder: modelFolder, seed: options.seed) }
        } else {
            model = try Sanitizer.wrapEngine { try LanguageModelLoader.load(folder: modelFolder) }
        }
        let tokenizer = try Sanitizer.wrapEngine { try LanguageModelLoader.tokenizer(folder: modelFolder) }
        let corpus = try Corpus.load(url: corpusURL)
        let scheme = try TrainingScheme(model: model, tokenizer: tokenizer)
        let trained = try options.neverLearn.map { try BlacklistBuilder(options: $0).build(for: corpus).annotating(corpus) }
            ?? Corpus(records: corpus.records.map { CorpusRecord(text: $0.text) })
        let tokenized = try TokenizedCorpus(corpus: trained, tokenizer: tokenizer, scheme: scheme,
                                            vocabularySize: model.vocabularySize)
        let windows = TrainingWindows(corpus: tokenized, length: min(options.sequenceLength, model.maxPositions),
                                      scheme: scheme)
        guard windows.count > 0 else { throw SaniError.invalidArgument("the corpus is too short to train on") }
        let steps = (windows.count + options.batchSize - 1) / options.batchSize
        let optimizer = AdamW(parameters: model.parameters, settings: .init(beta2: 0.95, weightDecay: 0))
        let schedule = LearningRateSchedule(peak: Float(options.learningRate), warmupSteps: options.warmupSteps,
                                            totalSteps: steps * options.epochs, shape: .cosine)
        var losses: [Double] = []
        for epoch in 1...max(1, options.epochs) {
            let loss = try TrainingLoop.epoch(model: model, optimizer: optimizer, windows: windows,
                                              order: windows.order(seed: options.seed &+ UInt64(epoch)),
                                              batchSize: options.batchSize, schedule: schedule,
                                              maskSeed: options.seed &+ UInt64(epoch) &* 0x51_7CC1,
                                              isCancelled: isCancelled) { step, steps, loss in
                onStep(epoch, step, steps, loss)
            }
            losses.append(loss)
        }
        try Sanitizer.wrapEngine { try model.save(to: output, companionsFrom: modelFolder) }
        return losses
    }
}
