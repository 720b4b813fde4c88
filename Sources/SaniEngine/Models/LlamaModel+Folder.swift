import Foundation

extension LlamaModel {
    /// Loads a Hugging Face Llama folder (`config.json`, `model.safetensors` or shards). Shapes are checked
    /// against the configuration before memory is allocated; `lm_head.weight` is read when embeddings are untied.
    public static func load(folder: URL) throws -> LlamaModel {
        let json = try JSONConfig(url: folder.appendingPathComponent("config.json"))
        let config = try LlamaConfig(json: json)
        let store = try WeightStore(folder: folder)
        for t in layout(config) {
            guard let entry = store.entry(t.name) else { throw EngineError.missingTensor(t.name) }
            guard entry.shape == t.shape else {
                throw EngineError.shapeMismatch(tensor: t.name, expected: t.shape, found: entry.shape)
            }
        }
        let model = try LlamaModel(config: config)
        model.sourceConfig = json
        try ModelFolder.readWeights(into: model.parameters, from: store) { [$0.name] }
        return model
    }

    /// Saves a folder `transformers` loads as `LlamaForCausalLM` (weights in nn.Linear `[out, in]` layout).
    public func save(to folder: URL, companionsFrom source: URL? = nil) throws {
        try ModelFolder.create(folder)
        try config.json(base: sourceConfig).write(to: folder.appendingPathComponent("config.json"))
        try ModelFolder.writeWeights(parameters, to: folder.appendingPathComponent("model.safetensors"))
        if let source { try ModelFolder.copyCompanionFiles(from: source, to: folder) }
    }
}

extension LlamaModel: LanguageModel, IncrementalDecoder {
    public var family: String { "llama" }
    public var objective: LanguageModelObjective { .causal }
    public var blockCount: Int { config.layers }
    public var separatorTokenID: Int32? { (config.eosTokenID ?? config.bosTokenID).map(Int32.init) }
    public var vocabularySize: Int { config.vocabularySize }
    public var maxPositions: Int { config.maxPositions }

    /// Neuron `i` of block `l`: row `i` of `gate_proj` and `up_proj` (`[I, C]`), column `i` of `down_proj`
    /// (`[C, I]`); Llama initialises them all normal(0, initializer_range).
    public func mlpNeurons(block: Int) -> MLPNeuronLayout {
        let p = "model.layers.\(block).mlp."
        let std = config.initializerRange
        return MLPNeuronLayout(neurons: config.intermediateSize, tensors: [
            NeuronTensor(name: p + "gate_proj.weight", axis: 0, initStd: std),
            NeuronTensor(name: p + "up_proj.weight", axis: 0, initStd: std),
            NeuronTensor(name: p + "down_proj.weight", axis: 1, initStd: std),
        ])
    }

    public func mlpActivations(block: Int) -> UnsafePointer<Float>? {
        guard let a = activations, block >= 0, block < config.layers else { return nil }
        return UnsafePointer(a.at(a.mlp, block, config.intermediateSize))
    }

    public func makeCache(sequences: Int, capacity: Int) -> KVCache {
        KVCache(layers: config.layers, sequences: sequences, capacity: min(capacity, config.maxPositions),
                width: config.kvHeads * config.headSize)
    }

    public var cacheWidth: Int { config.kvHeads * config.headSize }
    public var layerCount: Int { config.layers }

    public func decode(_ rows: [DecodeRow], cache: KVCache, logitsOf: [Int]?) throws -> LogitsView {
        let n = rows.count, c = config.hiddenSize, inner = config.intermediateSize, eps = config.rmsNormEpsilon
        let v = config.vocabularySize, layout = attentionLayout, w = layout.rowStride, aw = layout.outputWidth
        let kvw = config.kvHeads * config.headSize
        guard n > 0 else { throw EngineError.invalidArgument("nothing to decode") }
        for r in rows {
            guard r.position >= 0, r.position < config.maxPositions, cache.holds(sequence: r.sequence, position: r.position) else {
                throw EngineError.invalidArgument("row at sequence \(r.sequence), position \(r.position) is outside the cache")
            }
            guard r.token >= 0, Int(r.token) < v else {
                throw EngineError.invalidArgument("token id \(r.token) is outside the vocabulary (\(v))")
            }
        }
        let selected = try checkedLogitRows(logitsOf, rows: n)
        let p = parameters.values.pointer
        let products = DecodeProducts(parameters: parameters, precision: decodePrecision, copies: bf16Weights)
        let x = FloatBuffer(count: n * c), h = FloatBuffer(count: n * c), att = FloatBuffer(count: n * aw)
        let qkv = FloatBuffer(count: n * w), gu = FloatBuffer(count: n * 2 * inner), m = FloatBuffer(count: n * inner)
        let rstd = FloatBuffer(count: n)
        for (i, r) in rows.enumerated() { (x.pointer + i * c).update(from: p + embed + Int(r.token) * c, count: c) }
        let positions = rows.map(\.position)
        for l in 0..<config.layers {
            let o = blocks[l]
            RMSNorm.forward(out: h.pointer, rstd: rstd.pointer, input: x.pointer, weight: p + o.norm1, rows: n,
                            channels: c, epsilon: eps)
            products.forward(out: qkv.pointer, input: h.pointer, weight: o.qkv, bias: nil, rows: n, inputs: c,
                             outputs: w, layout: .outputMajor)
            rope.apply(qkv.pointer + layout.queryOffset, stride: w, heads: config.heads, rows: n, position: { positions[$0] })
            rope.apply(qkv.pointer + layout.keyOffset, stride: w, heads: config.kvHeads, rows: n, position: { positions[$0] })
            for (i, r) in rows.enumerated() {
                let row = qkv.pointer + i * w
                cache.key(layer: l, sequence: r.sequence, position: r.position).update(from: row + layout.keyOffset, count: kvw)
                cache.value(layer: l, sequence: r.sequence, position: r.position).update(from: row + layout.valueOffset, count: kvw)
            }
            CachedAttention.run(out: att.pointer, outStride: aw, queries: qkv.pointer, queryStride: w, rows: rows,
                                cache: cache, layer: l, heads: config.heads, kvHeads: config.kvHeads,
                                headSize: config.headSize)
            products.forward(out: x.pointer, input: att.pointer, weight: o.o, bias: nil, rows: n, inputs: aw, outputs: c,
                             layout: .outputMajor, accumulate: true)
            RMSNorm.forward(out: h.pointer, rstd: rstd.pointer, input: x.pointer, weight: p + o.norm2, rows: n,
                            channels: c, epsilon: eps)
            products.forward(out: gu.pointer, input: h.pointer, weight: o.gateUp, bias: nil, rows: n, inputs: c,
                             outputs: 2 * inner, layout: .outputMajor)
            SwiGLU.forward(out: m.pointer, gateUp: gu.pointer, rows: n, inner: inner)
            products.forward(out: x.pointer, input: m.pointer, weight: o.down, bias: nil, rows: n, inputs: inner,
                             outputs: c, layout: .outputMajor, accumulate: true)
        }
        // The final norm and the head run on the rows whose logits are read.
        let last = selected.map { gatherRows(x.pointer, width: c, $0) } ?? x
        let rowsRead = selected?.count ?? n
        RMSNorm.forward(out: h.pointer, rstd: rstd.pointer, input: last.pointer, weight: p + normF, rows: rowsRead,
                        channels: c, epsilon: eps)
        let logits = FloatBuffer(count: rowsRead * v)
        products.forward(out: logits.pointer, input: h.pointer, weight: head, bias: nil, rows: rowsRead, inputs: c,
                         outputs: v, layout: .outputMajor)
        return LogitsView(buffer: logits, rows: rowsRead, vocabulary: v)
    }
}
