/// How the next token is chosen from logits.
public struct SamplingSettings: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float
    /// Keep only the k most likely tokens (nil or 0: all).
    public var topK: Int?
    /// Keep the smallest set of most likely tokens whose probability reaches p (nil or 1: all).
    public var topP: Float?
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int? = nil, topP: Float? = nil, seed: UInt64 = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.seed = seed
    }

    public static let greedy = SamplingSettings()

    public var isGreedy: Bool { temperature <= 0 }

    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw EngineError.invalidArgument("temperature must be >= 0") }
        if let k = topK, k < 0 { throw EngineError.invalidArgument("top-k must be >= 0") }
        if let p = topP, !(p > 0 && p <= 1) { throw EngineError.invalidArgument("top-p must be in (0, 1]") }
    }
}

/// Picks tokens from a row of logits.
public enum Sampler {
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for (i, x) in logits.enumerated() where x > bestValue { best = i; bestValue = x }
        return best
    }

    public static func sample(_ logits: UnsafeBufferPointer<Float>, settings: SamplingSettings,
                              rng: inout RandomSource) -> Int {
        if settings.isGreedy { return argmax(logits) }
        let invT = 1 / settings.temperature
        let everyToken = (settings.topK ?? 0) <= 0 || settings.topK ?? 0 >= logits.count
        if everyToken && (settings.topP ?? 1) >= 1 { return sampleAll(logits, invT: invT, rng: &rng) }
        return sampleFiltered(logits, settings: settings, rng: &rng)
    }

    /// Sampling with top-k and top-p (the general path).
    static func sampleFiltered(_ logits: UnsafeBufferPointer<Float>, settings: SamplingSettings,
                               rng: inout RandomSource) -> Int {
        let invT = 1 / settings.temperature
        var candidates = Array(0..<logits.count)
        if let k = settings.topK, k > 0, k < logits.count {
            candidates.sort { logits[$0] > logits[$1] }
            candidates.removeLast(candidates.count - k)
        }
        let m = candidates.reduce(-Float.infinity) { max($0, logits[$1] * invT) }
        var probs = candidates.map { VectorMath.exp(logits[$0] * invT - m) }
        var total = probs.reduce(0, +)
        if let p = settings.topP, p < 1 {
            let order = probs.indices.sorted { probs[$0] > probs[$1] }
            var kept: [Int] = []
            var mass: Float = 0
            for i in order {
                kept.append(i)
                mass += probs[i] / total
                if mass >= p { break }
            }
            candidates = kept.map { candidates[$0] }
            probs = kept.map { probs[$0] }
            total = probs.reduce(0, +)
        }
        var u = rng.nextUniform() * total
        for (i, pr) in probs.enumerated() {
            u -= pr
            if u < 0 { return candidates[i] }
        }
        return candidates[candidates.count - 1]
    }

    /// Sampling over the whole vocabulary: the arithmetic of the general path (the same probabilities, summed in
    /// the same order, so the same token for the same stream) without its index arrays, the exponentials 16
    /// at a time.
    static func sampleAll(_ logits: UnsafeBufferPointer<Float>, invT: Float, rng: inout RandomSource) -> Int {
        let n = logits.count
        guard n > 0, let x = logits.baseAddress else { return 0 }
        var m = -Float.infinity
        for i in 0..<n { m = max(m, x[i] * invT) }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { probs in
            guard let p = probs.baseAddress else { return n - 1 }
            let w = VectorMath.width
            var i = 0
            let scale = VectorMath.V(repeating: invT), shift = VectorMath.V(repeating: m)
            while i + w <= n {
                let e = VectorMath.exp(VectorMath.load(x + i) * scale - shift)
                UnsafeMutableRawPointer(p + i).storeBytes(of: e, as: VectorMath.V.self)
                i += w
            }
            while i < n { p[i] = VectorMath.exp(x[i] * invT - m); i += 1 }
            var total: Float = 0
            for j in 0..<n { total += p[j] }
            var u = rng.nextUniform() * total
            for j in 0..<n {
                u -= p[j]
                if u < 0 { return j }
            }
            return n - 1
        }
    }
}
