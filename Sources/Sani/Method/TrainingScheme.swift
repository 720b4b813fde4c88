import SaniEngine

/// BERT-style masking of training inputs: a fraction of the eligible positions become targets; of those, 80 %
/// are replaced by the mask token, 10 % by a random ordinary token and 10 % keep their token.
public struct MaskingPolicy: Sendable, Equatable {
    public var maskID: Int32
    /// Framing and padding tokens: never masked, never drawn as random replacements.
    public var special: Set<Int32>
    public var vocabularySize: Int
    /// Probability that an eligible position becomes a target.
    public var rate: Double = 0.15

    public init(maskID: Int32, special: Set<Int32>, vocabularySize: Int, rate: Double = 0.15) {
        self.maskID = maskID; self.special = special.union([maskID]); self.vocabularySize = vocabularySize
        self.rate = rate
    }

    /// A random replacement token that is not special.
    func randomToken(_ rng: inout RandomSource) -> Int32 {
        while true {
            let t = Int32(rng.next() % UInt64(vocabularySize))
            if !special.contains(t) { return t }
        }
    }
}

/// How a model family frames its sequences and what it is trained to predict: causal models read records led by
/// the end-of-text separator and predict the next token; masked models read `[CLS] … [SEP]` and predict masked
/// tokens.
public struct TrainingScheme: Sendable, Equatable {
    public var objective: LanguageModelObjective
    /// Tokens before every record's own tokens.
    public var prefix: [Int32]
    /// Tokens after every record's own tokens.
    public var suffix: [Int32]
    /// Causal only: a separator after the last record, so the last record's end is a target too.
    public var trailingSeparator: Int32?
    /// Masked only.
    public var masking: MaskingPolicy?

    public static func causal(separator: Int32?) -> TrainingScheme {
        TrainingScheme(objective: .causal, prefix: separator.map { [$0] } ?? [], suffix: [],
                       trailingSeparator: separator, masking: nil)
    }

    /// The scheme of `model` with `tokenizer`; a masked model needs a tokenizer with `[CLS]`, `[SEP]` and
    /// `[MASK]` tokens.
    public init(model: any LanguageModel, tokenizer: any TextTokenizer) throws {
        switch model.objective {
        case .causal:
            self = .causal(separator: model.separatorTokenID)
        case .masked:
            guard let wordPiece = tokenizer as? WordPieceTokenizer else {
                throw SaniError.model("the \(model.family) model needs a WordPiece tokenizer (vocab.txt or tokenizer.json)")
            }
            guard let cls = wordPiece.clsID, let sep = wordPiece.sepID, let mask = wordPiece.maskID else {
                throw SaniError.model("the tokenizer has no [CLS], [SEP] or [MASK] token; a masked language model needs all three")
            }
            let v = model.vocabularySize
            guard [cls, sep, mask].allSatisfy({ $0 < v }) else {
                throw SaniError.model("the tokenizer's special tokens lie outside the model's vocabulary of \(v)")
            }
            var special: Set<Int32> = [Int32(cls), Int32(sep)]
            if let pad = wordPiece.padID, pad < v { special.insert(Int32(pad)) }
            if wordPiece.unknownID < v { special.insert(Int32(wordPiece.unknownID)) }
            self.init(objective: .masked, prefix: [Int32(cls)], suffix: [Int32(sep)], trailingSeparator: nil,
                      masking: MaskingPolicy(maskID: Int32(mask), special: special, vocabularySize: v))
        }
    }

    init(objective: LanguageModelObjective, prefix: [Int32], suffix: [Int32], trailingSeparator: Int32?,
         masking: MaskingPolicy?) {
        self.objective = objective; self.prefix = prefix; self.suffix = suffix
        self.trailingSeparator = trailingSeparator; self.masking = masking
    }
}
