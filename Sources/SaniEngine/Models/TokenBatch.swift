/// Checks and loss helpers shared by every model family's training entry points.
enum TokenBatch {
    /// `ids` must hold `count` values, each inside `0..<vocabulary`.
    static func check(_ ids: [Int32], count: Int, vocabulary: Int, what: String) throws {
        guard ids.count == count else {
            throw EngineError.invalidArgument("\(what) has \(ids.count) ids, expected \(count)")
        }
        let v = Int32(vocabulary)
        if let bad = ids.first(where: { $0 < 0 || $0 >= v }) {
            throw EngineError.invalidArgument("token id \(bad) is outside the vocabulary (\(v))")
        }
    }

    /// Every row index must lie inside a batch of `count` positions.
    static func checkRows(_ rows: [Int], of count: Int) throws {
        if let bad = rows.first(where: { $0 < 0 || $0 >= count }) {
            throw EngineError.invalidArgument("row \(bad) is outside the batch's \(count) positions")
        }
    }

    /// The output head (`weight`, `[vocabulary, channels]`, no bias) on `rows` of the final normalized
    /// activations `normalized` (`[positions, channels]`): their logits packed in the order given.
    static func head(rows: [Int], normalized: UnsafePointer<Float>, channels: Int, weight: UnsafePointer<Float>,
                     vocabulary: Int) -> LogitsView {
        let picked = FloatBuffer(count: max(1, rows.count) * channels)
        for (i, r) in rows.enumerated() {
            (picked.pointer + i * channels).update(from: normalized + r * channels, count: channels)
        }
        let logits = FloatBuffer(count: max(1, rows.count) * vocabulary)
        if !rows.isEmpty {
            Linear.forward(out: logits.pointer, input: picked.pointer, weight: weight, bias: nil, rows: rows.count,
                           inputs: channels, outputs: vocabulary, layout: .outputMajor)
        }
        return LogitsView(buffer: logits, rows: rows.count, vocabulary: vocabulary)
    }

    /// Per-position cross-entropy of `logits` against `targets` (one per row).
    static func losses(_ logits: LogitsView, targets: [Int32]) -> [Float] {
        var out = [Float](repeating: 0, count: logits.rows)
        targets.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                guard let losses = o.baseAddress, let targets = t.baseAddress else { return }
                withExtendedLifetime(logits.buffer) {
                    CrossEntropy.perPosition(losses: losses, logits: logits.buffer.pointer, targets: targets,
                                             rows: logits.rows, vocabulary: logits.vocabulary)
                }
            }
        }
        return out
    }

    /// The weighted loss; `logits` is overwritten with its gradient (see `CrossEntropy.lossAndGradient`).
    static func lossAndGradient(logits: FloatBuffer, losses: FloatBuffer, targets: [Int32], weights: [Float],
                                forget: ForgetTerms? = nil, rows: Int, vocabulary: Int) -> Float {
        let noForget: [Float] = []
        return targets.withUnsafeBufferPointer { t in
            weights.withUnsafeBufferPointer { w -> Float in
                (forget?.weights ?? noForget).withUnsafeBufferPointer { fw -> Float in
                    (forget?.referenceLogProbs ?? noForget).withUnsafeBufferPointer { fr -> Float in
                        guard let targets = t.baseAddress, let weights = w.baseAddress else { return 0 }
                        var pointers: CrossEntropy.ForgetPointers?
                        if let forget, let fw = fw.baseAddress, let fr = fr.baseAddress {
                            pointers = .init(weights: fw, referenceLogProbs: fr, beta: forget.beta, scale: forget.scale)
                        }
                        return CrossEntropy.lossAndGradient(logits: logits.pointer, losses: losses.pointer,
                                                            targets: targets, weights: weights, forget: pointers,
                                                            rows: rows, vocabulary: vocabulary)
                    }
                }
            }
        }
    }
}
