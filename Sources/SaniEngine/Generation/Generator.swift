/// Why a sequence stopped growing.
public enum FinishReason: String, Sendable, Codable {
    case stopToken = "stop"
    case length
}

public struct GenerationResult: Sendable, Equatable {
    /// New tokens (the stop token, when one ended the sequence, is not included).
    public var tokens: [Int32]
    public var finishReason: FinishReason
}

/// Generation with a KV cache for a batch of prompts of different lengths: all prompts are prefilled in one
/// pass, then every unfinished sequence advances one token per step in one batched pass.
public enum Generator {
    /// `startPositions` places each prompt at the positions it had in its document (default: position 0),
    /// which matters for models with absolute position embeddings.
    public static func generate(_ model: any IncrementalDecoder, prompts: [[Int32]], maxNewTokens: Int,
                                sampling: SamplingSettings = .greedy,
                                stopTokens: Set<Int32> = [],
                                startPositions: [Int]? = nil) throws -> [GenerationResult] {
        try sampling.validate()
        guard !prompts.isEmpty else { return [] }
        guard maxNewTokens >= 0 else { throw EngineError.invalidArgument("max new tokens must be >= 0") }
        for (i, p) in prompts.enumerated() where p.isEmpty {
            throw EngineError.invalidArgument("prompt \(i) is empty")
        }
        let offsets = startPositions ?? [Int](repeating: 0, count: prompts.count)
        guard offsets.count == prompts.count, offsets.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.invalidArgument("one non-negative start position per prompt is needed")
        }
        let longest = zip(prompts, offsets).map { $0.count + $1 }.max() ?? 0
        guard longest <= model.maxPositions else {
            throw EngineError.invalidArgument("a prompt ending at position \(longest) exceeds the model's \(model.maxPositions) positions")
        }
        let capacity = min(model.maxPositions, longest + maxNewTokens)
        let cache = model.makeCache(sequences: prompts.count, capacity: capacity)
        cache.startPositions = offsets
        var results = prompts.map { _ in GenerationResult(tokens: [], finishReason: .length) }
        var rngs = prompts.indices.map { RandomSource(seed: sampling.seed &+ UInt64($0) &* 0x9E37_79B9) }
        if maxNewTokens == 0 { return results }

        var rows: [DecodeRow] = []
        var lastRow: [Int] = []
        for (s, prompt) in prompts.enumerated() {
            for (t, token) in prompt.enumerated() {
                rows.append(DecodeRow(sequence: s, position: offsets[s] + t, token: token))
            }
            lastRow.append(rows.count - 1)
        }
        var logits = try model.decode(rows, cache: cache)
        var active: [(sequence: Int, row: Int, position: Int)] = prompts.indices.map {
            ($0, lastRow[$0], offsets[$0] + prompts[$0].count)
        }
        while !active.isEmpty {
            var next: [DecodeRow] = []
            var stillActive: [(sequence: Int, row: Int, position: Int)] = []
            for a in active {
                let token = Int32(logits.withRow(a.row) { Sampler.sample($0, settings: sampling, rng: &rngs[a.sequence]) })
                if stopTokens.contains(token) {
                    results[a.sequence].finishReason = .stopToken
                    continue
                }
                results[a.sequence].tokens.append(token)
                if results[a.sequence].tokens.count >= maxNewTokens || a.position >= capacity { continue }
                stillActive.append((a.sequence, next.count, a.position + 1))
                next.append(DecodeRow(sequence: a.sequence, position: a.position, token: token))
            }
            active = stillActive
            if next.isEmpty { break }
            logits = try model.decode(next, cache: cache)
        }
        return results
    }
}
