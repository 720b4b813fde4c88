import XCTest
@testable import SaniEngine

/// The tiny causal models the decode tests share: the GPT-2 fixture, and a Llama with grouped-query attention
/// (2 key/value heads for 4 query heads) and a wide initialisation, so that its next-token distributions are far
/// from uniform.
enum TinyDecoderModels {
    static func gpt2() throws -> GPT2Model {
        try GPT2Model.load(folder: ReferenceFixtures.gpt2Tiny.appendingPathComponent("model"))
    }

    static func llama() throws -> LlamaModel {
        var config = LlamaConfig(vocabularySize: 61, hiddenSize: 32, intermediateSize: 48, layers: 2, heads: 4,
                                 kvHeads: 2, maxPositions: 48, tiedEmbeddings: false)
        config.initializerRange = 0.3
        let model = try LlamaModel(config: config)
        model.initializeRandomly(seed: 5)
        return model
    }
}
