import Foundation

extension GPT2Model {
    /// Loads a Hugging Face GPT-2 folder: `config.json` and `model.safetensors` (or shards with an index).
    /// Tensor names may carry the `transformer.` prefix or not; `attn.bias` buffers and the tied `lm_head`
    /// are ignored. F32, F16 and BF16 weights load (computed in fp32).
    public static func load(folder: URL) throws -> GPT2Model {
        let json = try JSONConfig(url: folder.appendingPathComponent("config.json"))
        let config = try GPT2Config(json: json)
        let store = try WeightStore(folder: folder)
        let prefix = GPT2Parameters.prefix
        // Every tensor is checked against the configuration before any memory is allocated for the model.
        for t in GPT2Parameters.layout(config) {
            let names = [t.name, String(t.name.dropFirst(prefix.count))]
            guard let entry = names.lazy.compactMap({ store.entry($0) }).first else { throw EngineError.missingTensor(t.name) }
            guard entry.shape == t.shape else {
                throw EngineError.shapeMismatch(tensor: entry.name, expected: t.shape, found: entry.shape)
            }
        }
        let model = try GPT2Model(config: config)
        model.sourceConfig = json
        try ModelFolder.readWeights(into: model.parameters, from: store) { spec in
            [spec.name, String(spec.name.dropFirst(prefix.count))]
        }
        return model
    }

    /// Saves a Hugging Face folder that `transformers` loads unchanged: `config.json` (fields of the source
    /// configuration kept), `model.safetensors`, and the tokenizer files copied from `companionsFrom`.
    public func save(to folder: URL, companionsFrom source: URL? = nil) throws {
        try ModelFolder.create(folder)
        try config.json(base: sourceConfig).write(to: folder.appendingPathComponent("config.json"))
        try ModelFolder.writeWeights(parameters, to: folder.appendingPathComponent("model.safetensors"))
        if let source { try ModelFolder.copyCompanionFiles(from: source, to: folder) }
    }
}
