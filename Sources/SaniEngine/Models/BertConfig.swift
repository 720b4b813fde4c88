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
    /// Standard deviation of the normal initialisation of weight matrices and embeddings.
    public var initializerRange: Float
    /// Word-embedding row of the padding token (zero at initialisation).
    public var padTokenID: Int?

    public init(vocabularySize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int,
                maxPositions: Int, typeVocabularySize: Int = 2, layerNormEpsilon: Float = 1e-12,
                initializerRange: Float = 0.02, padTokenID: Int? = 0) {
        self.vocabularySize = vocabularySize; self.hiddenSize = hiddenSize; self.layers = layers; self.heads = heads
        self.intermediateSize = intermediateSize; self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize; self.layerNormEpsilon = layerNormEpsilon
        self.initializerRange = initializerRange; self.padTokenID = padTokenID
    }

    /// BERT-base (uncased) shape: 110M parameters.
    public static let base = BertConfig(vocabularySize: 30522, hiddenSize: 768, layers: 12, heads: 12,
                                        intermediateSize: 3072, maxPositions: 512)

    public init(json: JSONConfig) throws {
        if let type = json.modelType, type != "bert" { throw EngineError.invalidConfig("model_type is \(type), expected bert") }
        if let act = json.string("hidden_act"), act != "gelu" {
            throw EngineError.invalidConfig("hidden_act \(act) is not supported (BERT uses gelu)")
        }
        if let kind = json.string("position_embedding_type"), kind != "absolute" {
            throw EngineError.invalidConfig("position_embedding_type \(kind) is not supported (absolute only)")
        }
        self.init(vocabularySize: try json.requiredInt("vocab_size"), hiddenSize: try json.requiredInt("hidden_size"),
                  layers: try json.requiredInt("num_hidden_layers"), heads: try json.requiredInt("num_attention_heads"),
                  intermediateSize: try json.requiredInt("intermediate_size"),
                  maxPositions: try json.requiredInt("max_position_embeddings"),
                  typeVocabularySize: try json.int("type_vocab_size") ?? 2,
                  layerNormEpsilon: Float(try json.double("layer_norm_eps") ?? 1e-12),
                  initializerRange: Float(try json.double("initializer_range") ?? 0.02),
                  padTokenID: json.raw["pad_token_id"] == nil ? 0 : try json.int("pad_token_id"))
        try validate()
    }

    public func validate() throws {
        for (name, v) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("num_hidden_layers", layers),
                          ("num_attention_heads", heads), ("intermediate_size", intermediateSize),
                          ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabularySize)] {
            guard v > 0, v < 1 << 24 else { throw EngineError.invalidConfig("\(name) = \(v) is out of range") }
        }
        if let padTokenID, padTokenID < 0 || padTokenID >= vocabularySize {
            throw EngineError.invalidConfig("pad_token_id \(padTokenID) is outside the vocabulary")
        }
        guard initializerRange.isFinite, initializerRange > 0, initializerRange < 1 else {
            throw EngineError.invalidConfig("initializer_range \(initializerRange) is out of range")
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

    /// `config.json` of a Hugging Face `BertForMaskedLM` folder; other keys of `base` are kept.
    public func json(base: JSONConfig? = nil) -> JSONConfig {
        var raw = base?.raw ?? [:]
        raw["model_type"] = "bert"
        raw["architectures"] = ["BertForMaskedLM"]
        raw["vocab_size"] = vocabularySize
        raw["hidden_size"] = hiddenSize
        raw["num_hidden_layers"] = layers
        raw["num_attention_heads"] = heads
        raw["intermediate_size"] = intermediateSize
        raw["max_position_embeddings"] = maxPositions
        raw["type_vocab_size"] = typeVocabularySize
        raw["layer_norm_eps"] = Double(layerNormEpsilon)
        raw["initializer_range"] = Double(initializerRange)
        raw["hidden_act"] = "gelu"
        raw["position_embedding_type"] = "absolute"
        if let padTokenID { raw["pad_token_id"] = padTokenID }
        if raw["hidden_dropout_prob"] == nil { raw["hidden_dropout_prob"] = 0.1 }
        if raw["attention_probs_dropout_prob"] == nil { raw["attention_probs_dropout_prob"] = 0.1 }
        return JSONConfig(raw: raw)
    }
}
