import Foundation

/// Hyper-parameters of a BERT family masked language model, from Hugging Face `config.json`.
public struct BertConfig: Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float

    public init(vocabularySize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int,
                maxPositions: Int, typeVocabularySize: Int = 2, layerNormEpsilon: Float = 1e-12) {
        self.vocabularySize = vocabularySize; self.hiddenSize = hiddenSize; self.layers = layers; self.heads = heads
        self.intermediateSize = intermediateSize; self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize; self.layerNormEpsilon = layerNormEpsilon
    }

    public init(json: JSONConfig) throws {
        if let type = json.modelType, type != "bert" { throw EngineError.invalidConfig("model_type is \(type), expected bert") }
        if let act = json.string("hidden_act"), act != "gelu" {
            throw EngineError.invalidConfig("hidden_act \(act) is not supported (BERT uses gelu)")
        }
        self.init(vocabularySize: try json.requiredInt("vocab_size"), hiddenSize: try json.requiredInt("hidden_size"),
                  layers: try json.requiredInt("num_hidden_layers"), heads: try json.requiredInt("num_attention_heads"),
                  intermediateSize: try json.requiredInt("intermediate_size"),
                  maxPositions: try json.requiredInt("max_position_embeddings"),
                  typeVocabularySize: try json.int("type_vocab_size") ?? 2,
                  layerNormEpsilon: Float(try json.double("layer_norm_eps") ?? 1e-12))
        try validate()
    }

    public func validate() throws {
        for (name, v) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("num_hidden_layers", layers),
                          ("num_attention_heads", heads), ("intermediate_size", intermediateSize),
                          ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabularySize)] {
            guard v > 0, v < 1 << 24 else { throw EngineError.invalidConfig("\(name) = \(v) is out of range") }
        }
        guard hiddenSize % heads == 0 else {
            throw EngineError.invalidConfig("hidden_size \(hiddenSize) is not divisible by num_attention_heads \(heads)")
        }
        let c = Double(hiddenSize)
        let count = Double(vocabularySize + maxPositions + typeVocabularySize) * c
            + Double(layers) * (4 * c * c + 2 * c * Double(intermediateSize)) + c * c
        guard count <= GPT2Config.maximumParameters else {
            throw EngineError.invalidConfig(String(format: "the configuration describes %.3g parameters, more than the engine's limit", count))
        }
    }
}
