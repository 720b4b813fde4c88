import Foundation
import SaniEngine

/// The erase phase: picks a fraction of the MLP neurons of the last blocks and re-initialises them as the model
/// family initialises a fresh model (input weights and output weights from its normal init, biases zero), or,
/// given the model the fine-tune started from, restores them to its values.
public struct NeuronEraser {
    public let model: any LanguageModel
    public let selection: NeuronSelection
    public let layers: Int
    public let fraction: Double
    public let seed: UInt64

    /// Parameters of the model the fine-tune started from (same shape): erased neurons are restored to them
    /// instead of re-initialised.
    public let base: ParameterSet?
    /// The last `layers` blocks (the paper), or every block ranked together by score.
    public let scope: EraseScope

    public init(model: any LanguageModel, selection: NeuronSelection, layers: Int, fraction: Double, seed: UInt64,
                base: ParameterSet? = nil, scope: EraseScope = .last) {
        self.model = model; self.selection = selection; self.layers = layers; self.fraction = fraction
        self.seed = seed; self.base = base; self.scope = scope
    }

    /// The blocks neurons are drawn from: the last `layers` ones, or all of them when scored.
    public var blocks: [Int] {
        let n = model.blockCount
        return scope == .scored ? Array(0..<n) : Array(max(0, n - layers)..<n)
    }

    /// Scores neurons (when the strategy needs data), picks them, re-initialises them, and says what it did.
    public func run(windows: TrainingWindows, batchSize: Int, isCancelled: CancellationCheck) throws -> EraseSummary {
        let started = Date()
        let neurons = model.mlpNeurons(block: blocks.first ?? 0).neurons
        let count = max(1, Int((fraction * Double(neurons)).rounded()))
        var picked: [[Int]] = []
        switch selection {
        case .random:
            var rng = RandomSource(seed: seed)
            for _ in blocks {
                var order = Array(0..<neurons)
                for i in stride(from: order.count - 1, to: 0, by: -1) {
                    order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
                }
                picked.append(Array(order[0..<count]).sorted())
            }
        case .activation, .gradient:
            let scores = selection == .activation
                ? try activationScores(windows: windows, batchSize: batchSize, isCancelled: isCancelled)
                : try gradientScores(windows: windows, batchSize: batchSize, isCancelled: isCancelled)
            switch scope {
            case .last: picked = scores.map { topIndices($0, count) }
            case .scored: picked = topAcrossBlocks(scores, count * min(layers, model.blockCount))
            }
        }
        var rng = RandomSource(seed: seed &+ 1)
        for (block, indices) in zip(blocks, picked) {
            for i in indices {
                if let base { model.restoreNeuron(block: block, index: i, from: base) } else { model.resetNeuron(block: block, index: i, rng: &rng) }
            }
        }
        var summary = EraseSummary(selection: selection, blocks: blocks, neuronsPerBlock: count, fraction: fraction,
                                   seed: seed, neurons: picked, source: base == nil ? .initialisation : .baseModel,
                                   seconds: Date().timeIntervalSince(started))
        if scope == .scored {
            summary.scope = .scored
            summary.neuronsPerBlock = picked.map(\.count).max() ?? 0
        }
        return summary
    }

    /// The `k` highest scores over every block together, as sorted indices per block.
    func topAcrossBlocks(_ scores: [[Double]], _ k: Int) -> [[Int]] {
        let all = scores.enumerated().flatMap { b, s in s.enumerated().map { (block: b, index: $0.offset, score: $0.element) } }
        let top = all.sorted { $0.score != $1.score ? $0.score > $1.score : ($0.block, $0.index) < ($1.block, $1.index) }.prefix(k)
        var picked = scores.map { _ in [Int]() }
        for t in top { picked[t.block].append(t.index) }
        return picked.map { $0.sorted() }
    }

    func topIndices(_ scores: [Double], _ k: Int) -> [Int] {
        Array(scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k)).sorted()
    }

    /// Windows used to score neurons: a seeded sample, bounded so scoring stays a small fraction of the work.
    func scoringWindows(_ windows: TrainingWindows, batchSize: Int) -> [[Int]] {
        let order = windows.order(seed: seed ^ 0xE7A5E)
        let limit = min(order.count, max(batchSize, 16 * batchSize))
        return stride(from: 0, to: limit, by: batchSize).map { Array(order[$0..<min(limit, $0 + batchSize)]) }
    }

    /// Mean |activation| on sensitive positions (causal: the target is sensitive; masked: the token is) divided by
    /// the mean on the other positions.
    func activationScores(windows: TrainingWindows, batchSize: Int, isCancelled: CancellationCheck) throws -> [[Double]] {
        let neurons = model.mlpNeurons(block: blocks.first ?? 0).neurons
        var sensitive = blocks.map { _ in [Double](repeating: 0, count: neurons) }
        var other = sensitive
        var nSensitive = 0, nOther = 0
        for batch in scoringWindows(windows, batchSize: batchSize) {
            if isCancelled() { throw SaniError.cancelled }
            let b = windows.batch(batch, maskSeed: seed)
            // Only the MLP activations are read: no logits are asked for.
            try model.forwardForInspection(tokens: b.tokens, batch: batch.count, length: windows.length)
            for (k, block) in blocks.enumerated() {
                guard let acts = model.mlpActivations(block: block) else {
                    throw SaniError.model("the model does not expose MLP activations")
                }
                for (row, isSensitive) in b.sensitive.enumerated() {
                    let a = acts + row * neurons
                    if isSensitive {
                        for i in 0..<neurons { sensitive[k][i] += Double(abs(a[i])) }
                    } else {
                        for i in 0..<neurons { other[k][i] += Double(abs(a[i])) }
                    }
                }
            }
            nSensitive += b.sensitive.filter { $0 }.count
            nOther += b.sensitive.filter { !$0 }.count
        }
        model.releaseActivations()
        return zip(sensitive, other).map { s, o in
            zip(s, o).map { ($0 / Double(max(1, nSensitive))) / ($1 / Double(max(1, nOther)) + 1e-6) }
        }
    }

    /// Σ |weight × gradient| over each neuron's slices, for the loss on sensitive targets only.
    func gradientScores(windows: TrainingWindows, batchSize: Int, isCancelled: CancellationCheck) throws -> [[Double]] {
        let parameters = model.parameters
        parameters.ensureGradients()
        parameters.zeroGradients()
        for batch in scoringWindows(windows, batchSize: batchSize) {
            if isCancelled() { throw SaniError.cancelled }
            let b = windows.batch(batch, sensitiveOnly: true)
            _ = try model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                              batch: batch.count, length: windows.length)
        }
        model.releaseActivations()
        guard let gradients = parameters.gradients else { return [] }
        let scores = blocks.map { block -> [Double] in
            let layout = model.mlpNeurons(block: block)
            var s = [Double](repeating: 0, count: layout.neurons)
            for t in layout.tensors {
                guard let spec = parameters.spec(t.name) else { continue }
                let w = parameters.values.pointer + spec.offset, g = gradients.pointer + spec.offset
                let inner = spec.shape[(t.axis + 1)...].reduce(1, *)
                let outer = spec.shape[..<t.axis].reduce(1, *)
                let axis = spec.shape[t.axis]
                for o in 0..<outer {
                    for i in 0..<axis {
                        let base = (o * axis + i) * inner
                        var acc: Float = 0
                        for j in 0..<inner { acc += abs(w[base + j] * g[base + j]) }
                        s[i] += Double(acc)
                    }
                }
            }
            return s
        }
        parameters.zeroGradients()
        return scores
    }
}
