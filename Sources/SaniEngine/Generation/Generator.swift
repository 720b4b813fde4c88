/// Why a sequence stopped growing.
public enum FinishReason: String, Sendable, Codable {
    case stopToken = "stop"
    case length
    /// It produced a token other than the one expected at that place (`GenerationRequest.expected`).
    case diverged
}

public struct GenerationResult: Sendable, Equatable {
    /// New tokens (the stop token, when one ended the sequence, is not included; the first unexpected token,
    /// when one ended it, is).
    public var tokens: [Int32]
    public var finishReason: FinishReason
}

/// One sequence to generate.
public struct GenerationRequest: Sendable, Equatable {
    public var prompt: [Int32]
    /// The position of the prompt's first token (the one it had in its document; matters for models with
    /// absolute position embeddings).
    public var startPosition: Int
    public var maxNewTokens: Int
    /// Seed of this sequence's own random stream when sampling: its tokens do not depend on which other
    /// sequences share its batch.
    public var seed: UInt64
    /// When set, the sequence stops at the first token that differs from `expected` at its place (that token
    /// is kept): the caller only asks whether the continuation is `expected`, so the rest is never computed.
    public var expected: [Int32]?

    public init(prompt: [Int32], startPosition: Int = 0, maxNewTokens: Int, seed: UInt64 = 0,
                expected: [Int32]? = nil) {
        self.prompt = prompt; self.startPosition = startPosition; self.maxNewTokens = maxNewTokens
        self.seed = seed; self.expected = expected
    }
}

/// Generation with a KV cache for many prompts of different lengths.
///
/// Up to `batchSize` sequences run together, each in its own slot of a batched KV cache with its own start
/// position: every step runs one batched pass over the next token of every running sequence (and the whole
/// prompt of any sequence that joins), so the matrix products have one row per running sequence. A sequence
/// that finishes frees its slot for the next waiting request at once. Each sequence samples from its own seeded
/// stream, so its tokens do not depend on the batch size or on its neighbours; they depend on them only
/// through the floating-point rounding of the batched products (BLAS may round a row differently when the
/// number of rows differs, by about 1e-6 relative), which can change a token only at a near-tie.
public enum Generator {
    /// Bytes of KV cache a batch may take: fewer sequences run together when long prompts would need more.
    public static let defaultCacheBudget = 1 << 30

    /// `startPositions` places each prompt at the positions it had in its document (default: position 0),
    /// which matters for models with absolute position embeddings. Every prompt runs in one batch; sequence `i`
    /// samples from the stream seeded `sampling.seed + i · 0x9E3779B9`.
    public static func generate(_ model: any IncrementalDecoder, prompts: [[Int32]], maxNewTokens: Int,
                                sampling: SamplingSettings = .greedy,
                                stopTokens: Set<Int32> = [],
                                startPositions: [Int]? = nil) throws -> [GenerationResult] {
        guard maxNewTokens >= 0 else { throw EngineError.invalidArgument("max new tokens must be >= 0") }
        let offsets = startPositions ?? [Int](repeating: 0, count: prompts.count)
        guard offsets.count == prompts.count else {
            throw EngineError.invalidArgument("one non-negative start position per prompt is needed")
        }
        let requests = prompts.indices.map {
            GenerationRequest(prompt: prompts[$0], startPosition: offsets[$0], maxNewTokens: maxNewTokens,
                              seed: sampling.seed &+ UInt64($0) &* 0x9E37_79B9)
        }
        return try generate(model, requests: requests, sampling: sampling, stopTokens: stopTokens,
                            batchSize: max(1, prompts.count))
    }

    /// Generates every request, at most `batchSize` sequences at a time (fewer when their KV cache would
    /// exceed `cacheBudget` bytes); results in the order of `requests`. `sampling.seed` is not used: each
    /// request carries its own.
    public static func generate(_ model: any IncrementalDecoder, requests: [GenerationRequest],
                                sampling: SamplingSettings = .greedy, stopTokens: Set<Int32> = [],
                                batchSize: Int, cacheBudget: Int = defaultCacheBudget) throws -> [GenerationResult] {
        try sampling.validate()
        guard batchSize >= 1 else { throw EngineError.invalidArgument("the batch size must be >= 1") }
        var results = requests.map { _ in GenerationResult(tokens: [], finishReason: .length) }
        // Positions a sequence may reach (its last token is produced there and never run).
        var limits = [Int](repeating: 0, count: requests.count)
        for (i, r) in requests.enumerated() {
            guard !r.prompt.isEmpty else { throw EngineError.invalidArgument("prompt \(i) is empty") }
            guard r.maxNewTokens >= 0 else { throw EngineError.invalidArgument("max new tokens must be >= 0") }
            guard r.startPosition >= 0 else {
                throw EngineError.invalidArgument("one non-negative start position per prompt is needed")
            }
            let end = r.startPosition + r.prompt.count
            guard end <= model.maxPositions else {
                throw EngineError.invalidArgument("a prompt ending at position \(end) exceeds the model's \(model.maxPositions) positions")
            }
            limits[i] = min(model.maxPositions, end + r.maxNewTokens)
        }
        let waiting = requests.indices.filter { requests[$0].maxNewTokens > 0 }
        guard !waiting.isEmpty else { return results }

        let capacity = waiting.map { limits[$0] - requests[$0].startPosition }.max() ?? 1
        let slotBytes = KVCache.bytesPerSlot(layers: model.layerCount, capacity: capacity, width: model.cacheWidth)
        let slots = min(batchSize, waiting.count, max(1, cacheBudget / max(1, slotBytes)))
        let cache = model.makeCache(sequences: slots, capacity: capacity)
        var freeSlots = Array((0..<slots).reversed())
        var rngs = requests.map { RandomSource(seed: $0.seed) }
        var next = 0  // index into `waiting`

        /// A running sequence: the token it feeds next at `position` (nil while its prompt is in the step).
        struct Running { let request: Int; let slot: Int; var position: Int; var token: Int32? }
        var running: [Running] = []
        while next < waiting.count || !running.isEmpty {
            // Sequences join while slots are free; their prompts run in the same pass as the others' tokens.
            while next < waiting.count, let slot = freeSlots.popLast() {
                let r = waiting[next]
                next += 1
                cache.startPositions[slot] = requests[r].startPosition
                running.append(Running(request: r, slot: slot, position: requests[r].startPosition, token: nil))
            }
            var rows: [DecodeRow] = []
            var read: [Int] = []
            for s in running {
                if let token = s.token {
                    rows.append(DecodeRow(sequence: s.slot, position: s.position, token: token))
                } else {
                    let r = requests[s.request]
                    for (t, token) in r.prompt.enumerated() {
                        rows.append(DecodeRow(sequence: s.slot, position: r.startPosition + t, token: token))
                    }
                }
                read.append(rows.count - 1)
            }
            let logits = try model.decode(rows, cache: cache, logitsOf: read)
            let chosen = choose(logits, requests: running.map(\.request), sampling: sampling, rngs: &rngs)
            var stillRunning: [Running] = []
            for (k, var s) in running.enumerated() {
                let r = s.request
                let token = chosen[k]
                // The position the new token takes.
                let position = s.token == nil ? requests[r].startPosition + requests[r].prompt.count : s.position + 1
                var done = false
                if stopTokens.contains(token) {
                    results[r].finishReason = .stopToken
                    done = true
                } else {
                    results[r].tokens.append(token)
                    let produced = results[r].tokens.count
                    if let expected = requests[r].expected,
                       produced > expected.count || expected[produced - 1] != token {
                        results[r].finishReason = .diverged
                        done = true
                    } else if produced >= requests[r].maxNewTokens || position >= limits[r] {
                        done = true
                    }
                }
                if done {
                    freeSlots.append(s.slot)
                } else {
                    s.position = position
                    s.token = token
                    stillRunning.append(s)
                }
            }
            running = stillRunning
        }
        return results
    }

    /// The next token of each read row, rows in parallel (each sequence draws from its own stream).
    private static func choose(_ logits: LogitsView, requests: [Int], sampling: SamplingSettings,
                               rngs: inout [RandomSource]) -> [Int32] {
        var chosen = [Int32](repeating: 0, count: requests.count)
        let minimumChunk = sampling.isGreedy ? 16 : 2
        chosen.withUnsafeMutableBufferPointer { out in
            rngs.withUnsafeMutableBufferPointer { streams in
                Parallel.forRanges(requests.count, minimumChunk: minimumChunk) { range in
                    for k in range {
                        out[k] = Int32(logits.withRow(k) {
                            Sampler.sample($0, settings: sampling, rng: &streams[requests[k]])
                        })
                    }
                }
            }
        }
        return chosen
    }
}
