extension GPT2Model: IncrementalDecoder {
    public var vocabularySize: Int { config.vocabularySize }
    public var maxPositions: Int { config.maxPositions }
    public var cacheWidth: Int { config.channels }
    public var layerCount: Int { config.layers }

    public func makeCache(sequences: Int, capacity: Int) -> KVCache {
        KVCache(layers: config.layers, sequences: sequences, capacity: min(capacity, config.maxPositions),
                width: config.channels)
    }

    public func decode(_ rows: [DecodeRow], cache: KVCache, logitsOf: [Int]?) throws -> LogitsView {
        let n = rows.count
        let c = config.channels, inner = config.innerChannels, eps = config.layerNormEpsilon
        let v = config.vocabularySize
        guard n > 0 else { throw EngineError.invalidArgument("nothing to decode") }
        for r in rows {
            guard r.sequence >= 0, r.sequence < cache.sequences else {
                throw EngineError.invalidArgument("sequence slot \(r.sequence) is outside the cache")
            }
            guard r.position >= 0, r.position < config.maxPositions, cache.holds(sequence: r.sequence, position: r.position) else {
                throw EngineError.invalidArgument("position \(r.position) is outside the cache (\(cache.capacity) positions from the sequence's start \(cache.startPositions[r.sequence]))")
            }
            guard r.token >= 0, Int(r.token) < v else {
                throw EngineError.invalidArgument("token id \(r.token) is outside the vocabulary (\(v))")
            }
        }
        let selected = try checkedLogitRows(logitsOf, rows: n)
        let p = parameters.values.pointer
        let products = DecodeProducts(parameters: parameters, precision: decodePrecision, copies: bf16Weights)
        let x = FloatBuffer(count: n * c), h = FloatBuffer(count: n * c), att = FloatBuffer(count: n * c)
        let qkv = FloatBuffer(count: n * 3 * c), fc = FloatBuffer(count: n * inner), fcg = FloatBuffer(count: n * inner)
        let mean = FloatBuffer(count: n), rstd = FloatBuffer(count: n)
        for (i, r) in rows.enumerated() {
            let o = x.pointer + i * c
            o.update(from: p + wte + Int(r.token) * c, count: c)
            VectorMath.add(p + wpe + r.position * c, o, c)
        }
        for l in 0..<config.layers {
            let b = blocks[l]
            LayerNorm.forward(out: h.pointer, mean: mean.pointer, rstd: rstd.pointer, input: x.pointer,
                              weight: p + b.ln1w, bias: p + b.ln1b, rows: n, channels: c, epsilon: eps)
            products.forward(out: qkv.pointer, input: h.pointer, weight: b.attnW, bias: p + b.attnB,
                             rows: n, inputs: c, outputs: 3 * c, layout: .inputMajor)
            for (i, r) in rows.enumerated() {
                let row = qkv.pointer + i * 3 * c
                cache.key(layer: l, sequence: r.sequence, position: r.position).update(from: row + c, count: c)
                cache.value(layer: l, sequence: r.sequence, position: r.position).update(from: row + 2 * c, count: c)
            }
            CachedAttention.run(out: att.pointer, outStride: c, queries: qkv.pointer, queryStride: 3 * c,
                                rows: rows, cache: cache, layer: l, heads: config.heads, kvHeads: config.heads,
                                headSize: c / config.heads)
            products.forward(out: x.pointer, input: att.pointer, weight: b.projW, bias: p + b.projB,
                             rows: n, inputs: c, outputs: c, layout: .inputMajor, accumulate: true)
            LayerNorm.forward(out: h.pointer, mean: mean.pointer, rstd: rstd.pointer, input: x.pointer,
                              weight: p + b.ln2w, bias: p + b.ln2b, rows: n, channels: c, epsilon: eps)
            products.forward(out: fc.pointer, input: h.pointer, weight: b.fcW, bias: p + b.fcB,
                             rows: n, inputs: c, outputs: inner, layout: .inputMajor)
            GELU.forward(out: fcg.pointer, input: fc.pointer, count: n * inner)
            products.forward(out: x.pointer, input: fcg.pointer, weight: b.fcProjW, bias: p + b.fcProjB,
                             rows: n, inputs: inner, outputs: c, layout: .inputMajor, accumulate: true)
        }
        // The final norm and the head run on the rows whose logits are read.
        let last = selected.map { gatherRows(x.pointer, width: c, $0) } ?? x
        let m = selected?.count ?? n
        LayerNorm.forward(out: h.pointer, mean: mean.pointer, rstd: rstd.pointer, input: last.pointer,
                          weight: p + lnfw, bias: p + lnfb, rows: m, channels: c, epsilon: eps)
        let logits = FloatBuffer(count: m * v)
        products.forward(out: logits.pointer, input: h.pointer, weight: wte, bias: nil,
                         rows: m, inputs: c, outputs: v, layout: .outputMajor)
        return LogitsView(buffer: logits, rows: m, vocabulary: v)
    }
}
