import Foundation

/// Hyper-parameters of a GPT-2 family model, read from and written to Hugging Face `config.json`.
public struct GPT2Config: Sendable, Equatable {
    public var vocabularySize: Int
    public var maxPositions: Int
    public var layers: Int
    public var heads: Int
    public var channels: Int
    public var innerChannels: Int
    public var layerNormEpsilon: Float
    public var bosTokenID: Int?
    public var eosTokenID: Int?

    public init(vocabularySize: Int, maxPositions: Int, layers: Int, heads: Int, channels: Int,
                innerChannels: Int? = nil, layerNormEpsilon: Float = 1e-5,
                bosTokenID: Int? = nil, eosTokenID: Int? = nil) {
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.layers = layers
        self.heads = heads
        self.channels = channels
        self.innerChannels = innerChannels ?? 4 * channels
        self.layerNormEpsilon = layerNormEpsilon
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
    }

    /// The 124M-parameter GPT-2 small shape.
    public static let small = GPT2Config(vocabularySize: 50257, maxPositions: 1024, layers: 12, heads: 12,
                                         channels: 768, bosTokenID: 50256, eosTokenID: 50256)

    public init(json: JSONConfig) throws {
        if let type = json.modelType, type != "gpt2" {
            throw EngineError.invalidConfig("model_type is \(type), expected gpt2")
        }
        let activation = json.string("activation_function") ?? "gelu_new"
        guard ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"].contains(activation) else {
            throw EngineError.invalidConfig("activation_function \(activation) is not supported (GPT-2 uses gelu_new)")
        }
        if json.bool("tie_word_embeddings") == false {
            throw EngineError.invalidConfig("untied GPT-2 embeddings are not supported")
        }
        self.init(vocabularySize: try json.requiredInt("vocab_size"),
                  maxPositions: try json.requiredInt("n_positions", alternatives: ["n_ctx"]),
                  layers: try json.requiredInt("n_layer"),
                  heads: try json.requiredInt("n_head"),
                  channels: try json.requiredInt("n_embd"),
                  innerChannels: try json.int("n_inner"),
                  layerNormEpsilon: Float(try json.double("layer_norm_epsilon") ?? 1e-5),
                  bosTokenID: try json.int("bos_token_id"),
                  eosTokenID: try json.int("eos_token_id"))
        try validate()
    }

    public func validate() throws {
        for (name, v) in [("vocab_size", vocabularySize), ("n_positions", maxPositions), ("n_layer", layers),
                          ("n_head", heads), ("n_embd", channels), ("n_inner", innerChannels)] {
            guard v > 0, v < 1 << 24 else { throw EngineError.invalidConfig("\(name) = \(v) is out of range") }
        }
        guard channels % heads == 0 else {
            throw EngineError.invalidConfig("n_embd \(channels) is not divisible by n_head \(heads)")
        }
        guard layerNormEpsilon > 0 else { throw EngineError.invalidConfig("layer_norm_epsilon must be positive") }
        for (name, id) in [("bos_token_id", bosTokenID), ("eos_token_id", eosTokenID)] {
            if let id, id < 0 || id >= vocabularySize {
                throw EngineError.invalidConfig("\(name) \(id) is outside the vocabulary (\(vocabularySize))")
            }
        }
        // Computed in floating point: the product of out-of-range sizes must not overflow before it is refused.
        let c = Double(channels), l = Double(layers)
        let count = Double(vocabularySize) * c + Double(maxPositions) * c
            + l * (4 * c * c + 2 * c * Double(innerChannels) + 9 * c + Double(innerChannels))
        guard count <= Self.maximumParameters else {
            throw EngineError.invalidConfig(String(format: "the configuration describes %.3g parameters, more than the engine's limit of %.3g", count, Self.maximumParameters))
        }
    }

    /// Largest model the engine accepts (16 GiB of fp32 weights).
    public static let maximumParameters: Double = 4e9

    /// Writes the fields of this configuration over `base` (keeping fields sani does not use).
    public func json(base: JSONConfig? = nil) -> JSONConfig {
        var raw = base?.raw ?? [:]
        raw["model_type"] = "gpt2"
        raw["architectures"] = ["GPT2LMHeadModel"]
        raw["vocab_size"] = vocabularySize
        raw["n_positions"] = maxPositions
        raw["n_ctx"] = maxPositions
        raw["n_layer"] = layers
        raw["n_head"] = heads
        raw["n_embd"] = channels
        if innerChannels != 4 * channels || raw["n_inner"] is Int { raw["n_inner"] = innerChannels }
        else { raw["n_inner"] = NSNull() }
        raw["layer_norm_epsilon"] = Double(layerNormEpsilon)
        raw["activation_function"] = raw["activation_function"] ?? "gelu_new"
        raw["tie_word_embeddings"] = true
        if let bosTokenID { raw["bos_token_id"] = bosTokenID }
        if let eosTokenID { raw["eos_token_id"] = eosTokenID }
        for key in ["resid_pdrop", "embd_pdrop", "attn_pdrop"] where raw[key] == nil { raw[key] = 0.1 }
        return JSONConfig(raw: raw)
    }
}
