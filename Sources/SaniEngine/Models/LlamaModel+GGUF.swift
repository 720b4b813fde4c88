import Foundation

extension LlamaConfig {
    /// The configuration a llama GGUF file describes in its `llama.*` metadata.
    public init(gguf: GGUFFile) throws {
        let m = gguf.metadata
        guard m["general.architecture"]?.string == "llama" else {
            throw EngineError.invalidConfig("the GGUF architecture is \(m["general.architecture"]?.string ?? "missing"), expected llama")
        }
        func int(_ key: String) throws -> Int {
            guard let v = m[key]?.int else { throw EngineError.invalidConfig("the GGUF file has no \(key)") }
            return v
        }
        let heads = try int("llama.attention.head_count")
        let hidden = try int("llama.embedding_length")
        let vocabulary = try m["llama.vocab_size"]?.int ?? m["tokenizer.ggml.tokens"]?.array?.count
            ?? { throw EngineError.invalidConfig("the GGUF file gives no vocabulary size") }()
        self.init(vocabularySize: vocabulary, hiddenSize: hidden,
                  intermediateSize: try int("llama.feed_forward_length"),
                  layers: try int("llama.block_count"), heads: heads,
                  kvHeads: m["llama.attention.head_count_kv"]?.int ?? heads,
                  headSize: m["llama.attention.key_length"]?.int ?? hidden / max(1, heads),
                  maxPositions: try int("llama.context_length"),
                  rmsNormEpsilon: Float(m["llama.attention.layer_norm_rms_epsilon"]?.float ?? 1e-5),
                  ropeTheta: Float(m["llama.rope.freq_base"]?.float ?? 10000),
                  tiedEmbeddings: gguf.tensor("output.weight") == nil,
                  bosTokenID: m["tokenizer.ggml.bos_token_id"]?.int,
                  eosTokenID: m["tokenizer.ggml.eos_token_id"]?.int)
        try validate()
    }
}

extension LlamaModel {
    /// GGUF names of the Hugging Face tensors (llama.cpp's naming).
    static func ggufName(_ hfName: String) -> String {
        if hfName == "model.embed_tokens.weight" { return "token_embd.weight" }
        if hfName == "model.norm.weight" { return "output_norm.weight" }
        if hfName == "lm_head.weight" { return "output.weight" }
        let parts = hfName.split(separator: ".")   // model.layers.L.<group>.<name>.weight
        guard parts.count >= 5 else { return hfName }
        let l = parts[2], tail = parts[3...].joined(separator: ".")
        let map = ["input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
                   "self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
                   "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight",
                   "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
                   "mlp.down_proj.weight": "ffn_down.weight"]
        return "blk.\(l).\(map[tail] ?? tail)"
    }

    /// Loads a llama GGUF file (quantized tensors dequantized to fp32). llama.cpp stores the query and key
    /// projections with the rows of each head interleaved for its rotary convention; they are put back in
    /// the Hugging Face order (row `h·d + s·d/2 + i` ← stored row `h·d + 2i + s`).
    public static func load(gguf url: URL) throws -> LlamaModel {
        let file = try GGUFFile(url: url)
        let config = try LlamaConfig(gguf: file)
        for t in layout(config) {
            let name = ggufName(t.name)
            guard let info = file.tensor(name) else { throw EngineError.missingTensor(name) }
            // GGUF lists dimensions fastest first: [in, out] for a [out, in] matrix.
            guard Array(info.dimensions.reversed()) == t.shape else {
                throw EngineError.shapeMismatch(tensor: name, expected: t.shape, found: Array(info.dimensions.reversed()))
            }
        }
        let model = try LlamaModel(config: config)
        defer { model.parameters.markModified() }
        for spec in model.parameters.specs {
            let destination = model.parameters.values.pointer + spec.offset
            try file.read(ggufName(spec.name), into: destination, count: spec.count)
            if spec.name.hasSuffix("q_proj.weight") {
                unpermuteRotaryRows(destination, heads: config.heads, headSize: config.headSize, columns: config.hiddenSize)
            } else if spec.name.hasSuffix("k_proj.weight") {
                unpermuteRotaryRows(destination, heads: config.kvHeads, headSize: config.headSize, columns: config.hiddenSize)
            }
        }
        return model
    }

    static func unpermuteRotaryRows(_ w: UnsafeMutablePointer<Float>, heads: Int, headSize d: Int, columns: Int) {
        let half = d / 2
        var head = [Float](repeating: 0, count: d * columns)
        for h in 0..<heads {
            let base = w + h * d * columns
            head.withUnsafeMutableBufferPointer { buf in
                guard let tmp = buf.baseAddress else { return }
                tmp.update(from: base, count: d * columns)
                for s in 0..<2 {
                    for i in 0..<half {
                        (base + (s * half + i) * columns).update(from: tmp + (2 * i + s) * columns, count: columns)
                    }
                }
            }
        }
    }
}
