import Foundation

/// Hyper-parameters of a Llama family model, read from and written to Hugging Face `config.json`.
public struct LlamaConfig: Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headSize: Int
    public var maxPositions: Int
    public var rmsNormEpsilon: Float
    public var ropeTheta: Float
    public var tiedEmbeddings: Bool
    public var initializerRange: Float
    public var bosTokenID: Int?
    public var eosTokenID: Int?

    public init(vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, kvHeads: Int,
                headSize: Int? = nil, maxPositions: Int, rmsNormEpsilon: Float = 1e-5, ropeTheta: Float = 10000,
                tiedEmbeddings: Bool = true, initializerRange: Float = 0.02, bosTokenID: Int? = nil, eosTokenID: Int? = nil) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headSize = headSize ?? hiddenSize / max(1, heads)
        self.maxPositions = maxPositions
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.tiedEmbeddings = tiedEmbeddings
        self.initializerRange = initializerRange
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
    }

    /// The SmolLM2-135M shape.
    public static let smolLM2 = LlamaConfig(vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layers: 30,
                                            heads: 9, kvHeads: 3, maxPositions: 8192, ropeTheta: 10000,
                                            tiedEmbeddings: true, bosTokenID: 1, eosTokenID: 2)

    public init(json: JSONConfig) throws {
        if let type = json.modelType, type != "llama" {
            throw EngineError.invalidConfig("model_type is \(type), expected llama")
        }
        if let act = json.string("hidden_act"), act != "silu" {
            throw EngineError.invalidConfig("hidden_act \(act) is not supported (Llama uses silu)")
        }
        if json.bool("attention_bias") == true || json.bool("mlp_bias") == true {
            throw EngineError.invalidConfig("Llama models with biases are not supported")
        }
        var theta = try json.double("rope_theta")
        if theta == nil, let rope = json.raw["rope_parameters"] as? [String: Any] {
            theta = (rope["rope_theta"] as? NSNumber)?.doubleValue
            if let kind = rope["rope_type"] as? String, kind != "default" {
                throw EngineError.invalidConfig("rope_type \(kind) is not supported")
            }
        }
        if let scaling = json.raw["rope_scaling"], !(scaling is NSNull) {
            throw EngineError.invalidConfig("rope_scaling is not supported")
        }
        let heads = try json.requiredInt("num_attention_heads")
        self.init(vocabularySize: try json.requiredInt("vocab_size"),
                  hiddenSize: try json.requiredInt("hidden_size"),
                  intermediateSize: try json.requiredInt("intermediate_size"),
                  layers: try json.requiredInt("num_hidden_layers"),
                  heads: heads,
                  kvHeads: try json.int("num_key_value_heads") ?? heads,
                  headSize: try json.int("head_dim"),
                  maxPositions: try json.requiredInt("max_position_embeddings"),
                  rmsNormEpsilon: Float(try json.double("rms_norm_eps") ?? 1e-6),
                  ropeTheta: Float(theta ?? 10000),
                  tiedEmbeddings: json.bool("tie_word_embeddings") ?? true,
                  initializerRange: Float(try json.double("initializer_range") ?? 0.02),
                  bosTokenID: try json.int("bos_token_id"),
                  eosTokenID: try json.int("eos_token_id"))
        try validate()
    }

    public func validate() throws {
        for (name, v) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                          ("num_hidden_layers", layers), ("num_attention_heads", heads), ("num_key_value_heads", kvHeads),
                          ("head_dim", headSize), ("max_position_embeddings", maxPositions)] {
            guard v > 0, v < 1 << 24 else { throw EngineError.invalidConfig("\(name) = \(v) is out of range") }
        }
        guard heads % kvHeads == 0 else {
            throw EngineError.invalidConfig("num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kvHeads)")
        }
        guard headSize % 2 == 0 else { throw EngineError.invalidConfig("head_dim \(headSize) must be even for rotary embeddings") }
        guard rmsNormEpsilon > 0, ropeTheta > 0 else { throw EngineError.invalidConfig("rms_norm_eps and rope_theta must be positive") }
        for (name, id) in [("bos_token_id", bosTokenID), ("eos_token_id", eosTokenID)] {
            if let id, id < 0 || id >= vocabularySize {
                throw EngineError.invalidConfig("\(name) \(id) is outside the vocabulary (\(vocabularySize))")
            }
        }
        let c = Double(hiddenSize), q = Double(heads * headSize), kv = Double(kvHeads * headSize)
        let count = Double(vocabularySize) * c * (tiedEmbeddings ? 1 : 2)
            + Double(layers) * (c * (q + 2 * kv) + q * c + 3 * c * Double(intermediateSize) + 2 * c) + c
        guard count <= GPT2Config.maximumParameters else {
            throw EngineError.invalidConfig(String(format: "the configuration describes %.3g parameters, more than the engine's limit of %.3g", count, GPT2Config.maximumParameters))
        }
    }

    /// Writes the fields of this configuration over `base` (keeping fields sani does not use).
    public func json(base: JSONConfig? = nil) -> JSONConfig {
        var raw = base?.raw ?? [:]
        raw["model_type"] = "llama"
        raw["architectures"] = ["LlamaForCausalLM"]
        raw["vocab_size"] = vocabularySize
        raw["hidden_size"] = hiddenSize
        raw["intermediate_size"] = intermediateSize
        raw["num_hidden_layers"] = layers
        raw["num_attention_heads"] = heads
        raw["num_key_value_heads"] = kvHeads
        raw["head_dim"] = headSize
        raw["max_position_embeddings"] = maxPositions
        raw["rms_norm_eps"] = Double(rmsNormEpsilon)
        if raw["rope_parameters"] == nil { raw["rope_theta"] = Double(ropeTheta) }
        raw["tie_word_embeddings"] = tiedEmbeddings
        raw["hidden_act"] = "silu"
        raw["initializer_range"] = Double(initializerRange)
        if let bosTokenID { raw["bos_token_id"] = bosTokenID }
        if let eosTokenID { raw["eos_token_id"] = eosTokenID }
        return JSONConfig(raw: raw)
    }
}
