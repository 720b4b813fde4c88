import Foundation

extension BertModel {
    /// BERT's initialisation (as `transformers` does it): weight matrices and embeddings normal(0,
    /// initializer_range), the padding token's embedding row zero, biases zero, layer-norm weights one.
    public func initializeRandomly(seed: UInt64) {
        defer { parameters.markModified() }
        var rng = RandomSource(seed: seed)
        for spec in parameters.specs {
            let p = parameters.values.pointer + spec.offset
            if spec.shape.count >= 2 {
                rng.fillNormal(p, spec.count, std: config.initializerRange)
            } else {
                p.update(repeating: spec.name.hasSuffix("LayerNorm.weight") ? 1 : 0, count: spec.count)
            }
        }
        if let pad = config.padTokenID {
            (parameters.values.pointer + word + pad * config.hiddenSize).update(repeating: 0, count: config.hiddenSize)
        }
    }

    /// Saves a folder `transformers` loads as `BertForMaskedLM` (names with the `bert.` prefix, the decoder tied
    /// to the word embeddings, its bias as `cls.predictions.bias`).
    public func save(to folder: URL, companionsFrom source: URL? = nil) throws {
        try ModelFolder.create(folder)
        try config.json(base: sourceConfig).write(to: folder.appendingPathComponent("config.json"))
        try ModelFolder.writeWeights(parameters, to: folder.appendingPathComponent("model.safetensors"))
        if let source { try ModelFolder.copyCompanionFiles(from: source, to: folder) }
    }
}

extension BertModel: LanguageModel {
    public var family: String { "bert" }
    public var objective: LanguageModelObjective { .masked }
    public var blockCount: Int { config.layers }
    /// Masked models have no end-of-text token; their sequences are framed by the tokenizer's [CLS] and [SEP].
    public var separatorTokenID: Int32? { nil }
    public var vocabularySize: Int { config.vocabularySize }
    public var maxPositions: Int { config.maxPositions }

    /// Neuron `i` of block `l`: row `i` of `intermediate.dense` (`[I, C]`) and its bias, column `i` of
    /// `output.dense` (`[C, I]`); BERT initialises the weights normal(0, initializer_range), biases zero.
    public func mlpNeurons(block: Int) -> MLPNeuronLayout {
        let p = "bert.encoder.layer.\(block)."
        let std = config.initializerRange
        return MLPNeuronLayout(neurons: config.intermediateSize, tensors: [
            NeuronTensor(name: p + "intermediate.dense.weight", axis: 0, initStd: std),
            NeuronTensor(name: p + "intermediate.dense.bias", axis: 0, initStd: 0),
            NeuronTensor(name: p + "output.dense.weight", axis: 1, initStd: std),
        ])
    }

    /// Every sequence is one segment (token type 0).
    public func forward(tokens: [Int32], batch: Int, length: Int) throws -> LogitsView {
        try forward(tokens: tokens, tokenTypes: [Int32](repeating: 0, count: tokens.count), batch: batch, length: length)
    }

    public func forward(tokens: [Int32], batch: Int, length: Int, rows: [Int]) throws -> LogitsView {
        try forward(tokens: tokens, tokenTypes: [Int32](repeating: 0, count: tokens.count), batch: batch, length: length,
                    rows: rows)
    }

    public func accumulateGradients(tokens: [Int32], targets: [Int32], weights: [Float], batch: Int,
                                    length: Int) throws -> Float {
        try accumulateGradients(tokens: tokens, targets: targets, weights: weights, forget: nil, batch: batch,
                                length: length)
    }

    public func accumulateGradients(tokens: [Int32], targets: [Int32], weights: [Float], forget: ForgetTerms?,
                                    batch: Int, length: Int) throws -> Float {
        try accumulateGradients(tokens: tokens, tokenTypes: [Int32](repeating: 0, count: tokens.count),
                                targets: targets, weights: weights, forget: forget, batch: batch, length: length)
    }

    public func forwardForInspection(tokens: [Int32], batch: Int, length: Int) throws {
        try forwardKeepingActivations(tokens: tokens, tokenTypes: [Int32](repeating: 0, count: tokens.count), batch: batch,
                                      length: length, rows: [])
    }

    public func mlpActivations(block: Int) -> UnsafePointer<Float>? {
        guard let a = cache, block >= 0, block < config.layers else { return nil }
        return UnsafePointer(a.interG.pointer + block * a.n * config.intermediateSize)
    }

    public func releaseActivations() { cache = nil; inference = nil }
}
