import SaniEngine

/// The inputs of one training batch, row after row: tokens, targets, loss weights, and which positions hold
/// sensitive information (causal: the target is sensitive; masked: the position's own token is).
public struct WindowBatch: Sendable, Equatable {
    public var tokens: [Int32] = []
    public var targets: [Int32] = []
    public var weights: [Float] = []
    public var sensitive: [Bool] = []
}

/// Fixed-length training windows over the records packed one after another (each record already framed by its
/// scheme). Every window starts at a record start, or every `length` tokens inside a long record, so the model
/// sees each document from its beginning, as the audit and real use present it; a window runs on into the next
/// record when its own record is shorter.
///
/// Causal: the target of position t is token t+1, with loss weight 0 when that token is sensitive.
/// Masked: positions are masked by the scheme's `MaskingPolicy` (seeded per window and epoch); sensitive
/// tokens are never chosen as targets (they stay visible as context).
public struct TrainingWindows: Sendable {
    public let length: Int
    public let masking: MaskingPolicy?
    let ids: [Int32]
    let sensitive: [Bool]
    let starts: [Int]

    public init(corpus: TokenizedCorpus, length requested: Int, scheme: TrainingScheme) {
        var ids: [Int32] = [], sensitive: [Bool] = [], recordStarts: [Int] = []
        for r in corpus.records where !r.ids.isEmpty {
            recordStarts.append(ids.count)
            ids += r.ids
            sensitive += r.labels.map { $0 != nil }
        }
        if let sep = scheme.trailingSeparator { ids.append(sep); sensitive.append(false) }
        // A causal window of L tokens reads L + 1 (its targets are shifted by one).
        let shift = scheme.masking == nil ? 1 : 0
        let length = max(1, min(requested, ids.count - shift))
        var starts: [Int] = []
        if ids.count >= length + shift {
            let lastStart = ids.count - length - shift
            for (i, begin) in recordStarts.enumerated() {
                let end = i + 1 < recordStarts.count ? recordStarts[i + 1] : ids.count - shift
                var s = begin
                repeat {
                    let clamped = min(s, lastStart)
                    if starts.last != clamped { starts.append(clamped) }
                    s += length
                } while s < end - 1
            }
        }
        self.length = length
        self.masking = scheme.masking
        self.ids = ids
        self.sensitive = sensitive
        self.starts = starts
    }

    /// Causal windows (records led by `trailingSeparator`'s token when there is one).
    public init(corpus: TokenizedCorpus, length requested: Int, trailingSeparator: Int32?) {
        self.init(corpus: corpus, length: requested, scheme: .causal(separator: trailingSeparator))
    }

    public var count: Int { starts.count }

    /// The windows `indices`. `sensitiveOnly` puts the loss on the sensitive targets only (masked: every
    /// sensitive position masked), for selecting neurons by gradient. `maskSeed` makes a masked batch's choice
    /// of targets reproducible (each window draws from its own stream of `maskSeed`).
    public func batch(_ indices: [Int], sensitiveOnly: Bool = false, maskSeed: UInt64 = 0) -> WindowBatch {
        var out = WindowBatch()
        let n = indices.count * length
        out.tokens.reserveCapacity(n); out.targets.reserveCapacity(n)
        out.weights.reserveCapacity(n); out.sensitive.reserveCapacity(n)
        for i in indices {
            let s = starts[i]
            guard let masking else {
                out.tokens += ids[s..<(s + length)]
                out.targets += ids[(s + 1)...(s + length)]
                for t in (s + 1)...(s + length) {
                    out.weights.append(sensitive[t] == sensitiveOnly ? 1 : 0)
                    out.sensitive.append(sensitive[t])
                }
                continue
            }
            var rng = RandomSource(seed: maskSeed ^ (UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15))
            for t in s..<(s + length) {
                let token = ids[t]
                out.targets.append(token)
                out.sensitive.append(sensitive[t])
                let eligible = !masking.special.contains(token)
                if sensitiveOnly {
                    let target = eligible && sensitive[t]
                    out.tokens.append(target ? masking.maskID : token)
                    out.weights.append(target ? 1 : 0)
                } else if eligible && !sensitive[t] && Double(rng.nextUniform()) < masking.rate {
                    let r = rng.nextUniform()
                    out.tokens.append(r < 0.8 ? masking.maskID : r < 0.9 ? masking.randomToken(&rng) : token)
                    out.weights.append(1)
                } else {
                    out.tokens.append(token)
                    out.weights.append(0)
                }
            }
        }
        return out
    }

    /// Window order for an epoch: a seeded shuffle.
    public func order(seed: UInt64) -> [Int] {
        var rng = RandomSource(seed: seed)
        var order = Array(0..<count)
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        return order
    }
}
