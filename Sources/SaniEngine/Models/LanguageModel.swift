import Foundation

/// What a model is trained to predict.
public enum LanguageModelObjective: String, Sendable, Codable {
    /// Next token (GPT-2, Llama).
    case causal
    /// Masked tokens (BERT).
    case masked
}

/// One tensor that holds a slice per MLP hidden neuron: neuron `i` is index `i` along `axis`.
public struct NeuronTensor: Sendable, Equatable {
    public let name: String
    public let axis: Int
    /// Standard deviation of the family's initialisation for this tensor; 0 means zeros (biases).
    public let initStd: Float
    public init(name: String, axis: Int, initStd: Float) {
        self.name = name; self.axis = axis; self.initStd = initStd
    }
}

/// The MLP hidden neurons of one transformer block: how many, and which tensor slices belong to each.
public struct MLPNeuronLayout: Sendable, Equatable {
    public let neurons: Int
    public let tensors: [NeuronTensor]
}

/// The interface the SANI method is written against: any family (causal GPT-2 and Llama, masked BERT) that
/// can run, train, expose its MLP neurons and save itself. Causal families also decode incrementally
/// (`decoder`).
public protocol LanguageModel: AnyObject {
    var family: String { get }
    var objective: LanguageModelObjective { get }
    var vocabularySize: Int { get }
    var maxPositions: Int { get }
    var parameters: ParameterSet { get }
    var blockCount: Int { get }
    /// Token id that separates documents (end of text), when the model has one.
    var separatorTokenID: Int32? { get }

    func mlpNeurons(block: Int) -> MLPNeuronLayout
    /// Logits `[B·T, V]` for `batch × length` tokens (causal: of the next token; masked: of the token at each
    /// position, every sequence one segment); valid until the next call.
    func forward(tokens: [Int32], batch: Int, length: Int) throws -> LogitsView
    /// Logits of `rows` of `B·T` only, packed in the order given (a masked model computes just those).
    func forward(tokens: [Int32], batch: Int, length: Int, rows: [Int]) throws -> LogitsView
    /// Runs every block keeping its activations for `mlpActivations` (no logits). `forward` keeps none: it
    /// reuses one block's buffers for every block.
    func forwardForInspection(tokens: [Int32], batch: Int, length: Int) throws
    /// Hidden MLP activations (after the non-linearity) of `block` from the last `forwardForInspection`,
    /// `[B·T, neurons]`.
    func mlpActivations(block: Int) -> UnsafePointer<Float>?
    /// Forward + weighted loss + backward; gradients are added to `parameters.gradients`. Causal families
    /// predict `targets[t]` after `tokens[...t]`; masked ones predict `targets[t]` at position t of `tokens`
    /// (where the input holds the mask token or a replacement).
    func accumulateGradients(tokens: [Int32], targets: [Int32], weights: [Float], batch: Int, length: Int) throws -> Float
    /// The same with a targeted-forgetting term (`ForgetTerms`) on the positions it weights.
    func accumulateGradients(tokens: [Int32], targets: [Int32], weights: [Float], forget: ForgetTerms?,
                             batch: Int, length: Int) throws -> Float
    func releaseActivations()
    func save(to folder: URL, companionsFrom source: URL?) throws
}

extension LanguageModel {
    /// Every row, then the requested ones copied out (families whose cost does not shrink with fewer rows).
    public func forward(tokens: [Int32], batch: Int, length: Int, rows: [Int]) throws -> LogitsView {
        let all = try forward(tokens: tokens, batch: batch, length: length)
        if let bad = rows.first(where: { $0 < 0 || $0 >= all.rows }) {
            throw EngineError.invalidArgument("row \(bad) is outside the batch's \(all.rows) positions")
        }
        let packed = FloatBuffer(count: max(1, rows.count) * all.vocabulary)
        for (i, r) in rows.enumerated() {
            (packed.pointer + i * all.vocabulary).update(from: all.buffer.pointer + r * all.vocabulary, count: all.vocabulary)
        }
        return LogitsView(buffer: packed, rows: rows.count, vocabulary: all.vocabulary)
    }

    /// The model as an incremental decoder (KV-cache generation), when its family decodes.
    public var decoder: (any IncrementalDecoder)? { self as? any IncrementalDecoder }

    /// Restores MLP neuron `index` of `block` to its values in `source`, the parameters of a model of the same
    /// shape (the model this one was fine-tuned from).
    public func restoreNeuron(block: Int, index: Int, from source: ParameterSet) {
        defer { parameters.markModified() }
        forEachNeuronSlice(block: block, index: index) { tensor, spec, at, count in
            guard let from = source.spec(spec.name), from.shape == spec.shape else { return }
            (parameters.values.pointer + spec.offset + at).update(from: source.values.pointer + from.offset + at, count: count)
        }
    }

    /// The name prefix of every parameter of `block` (`h.3.`, `model.layers.3.`, `bert.encoder.layer.3.`), read from
    /// its MLP tensors' names.
    public func blockParameterPrefix(_ block: Int) -> String? {
        guard let name = mlpNeurons(block: block).tensors.first?.name else { return nil }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard let at = parts.firstIndex(where: { $0 == Substring(String(block)) }) else { return nil }
        return parts[...at].joined(separator: ".") + "."
    }

    /// Restores every parameter of `block` (attention, norms, MLP) to its values in `source`; returns how many
    /// values were restored.
    @discardableResult
    public func restoreBlock(_ block: Int, from source: ParameterSet) -> Int {
        guard let prefix = blockParameterPrefix(block) else { return 0 }
        defer { parameters.markModified() }
        var restored = 0
        for spec in parameters.specs where spec.name.hasPrefix(prefix) {
            guard let from = source.spec(spec.name), from.shape == spec.shape else { continue }
            (parameters.values.pointer + spec.offset).update(from: source.values.pointer + from.offset, count: from.count)
            restored += from.count
        }
        return restored
    }

    /// Copies every parameter outside the transformer blocks (token and position embeddings, the final norm, an
    /// untied or masked-LM head) from `source` where the shapes agree; returns the number of values copied.
    @discardableResult
    public func restoreOutsideBlocks(from source: ParameterSet) -> Int {
        let prefixes = (0..<blockCount).compactMap { blockParameterPrefix($0) }
        defer { parameters.markModified() }
        var restored = 0
        for spec in parameters.specs where !prefixes.contains(where: { spec.name.hasPrefix($0) }) {
            guard let from = source.spec(spec.name), from.shape == spec.shape else { continue }
            (parameters.values.pointer + spec.offset).update(from: source.values.pointer + from.offset, count: from.count)
            restored += from.count
        }
        return restored
    }

    /// Calls `body` with every contiguous slice of neuron `index` of `block`: its tensor, the tensor's spec, the
    /// slice's offset inside the tensor and its length (row-major: the stride of `axis` is the product of the
    /// following dimensions).
    func forEachNeuronSlice(block: Int, index: Int, _ body: (NeuronTensor, ParameterSpec, Int, Int) -> Void) {
        for t in mlpNeurons(block: block).tensors {
            guard let spec = parameters.spec(t.name) else { continue }
            let inner = spec.shape[(t.axis + 1)...].reduce(1, *)
            let outer = spec.shape[..<t.axis].reduce(1, *)
            let axisSize = spec.shape[t.axis]
            for o in 0..<outer { body(t, spec, (o * axisSize + index) * inner, inner) }
        }
    }

    /// Tensors with one row per vocabulary token: token embeddings, an untied output head, a per-token output
    /// bias (position tables excluded).
    public var tokenRowTensors: [ParameterSpec] {
        parameters.specs.filter { $0.shape.first == vocabularySize && !$0.name.contains("position") }
    }

    /// Restores the rows of `tokens` in every token-row tensor to their values in `source`.
    public func restoreTokenRows(_ tokens: [Int], from source: ParameterSet) {
        defer { parameters.markModified() }
        for spec in tokenRowTensors {
            guard let from = source.spec(spec.name), from.shape == spec.shape else { continue }
            let width = spec.shape.dropFirst().reduce(1, *)
            for t in tokens where t >= 0 && t < vocabularySize {
                (parameters.values.pointer + spec.offset + t * width)
                    .update(from: source.values.pointer + from.offset + t * width, count: width)
            }
        }
    }

    /// Re-initialises MLP neuron `index` of `block` from the family's initialisation.
    public func resetNeuron(block: Int, index: Int, rng: inout RandomSource) {
        defer { parameters.markModified() }
        forEachNeuronSlice(block: block, index: index) { tensor, spec, at, count in
            let p = parameters.values.pointer + spec.offset + at
            for j in 0..<count { p[j] = tensor.initStd == 0 ? 0 : rng.nextNormal() * tensor.initStd }
        }
    }
}

/// Opens a model folder of any supported family by its `config.json` `model_type`.
public enum LanguageModelLoader {
    public static let supportedTypes = ["gpt2", "llama", "bert"]

    public static func load(folder: URL) throws -> any LanguageModel {
        let json = try JSONConfig(url: folder.appendingPathComponent("config.json"))
        switch json.modelType {
        case "gpt2", nil: return try GPT2Model.load(folder: folder)
        case "llama": return try LlamaModel.load(folder: folder)
        case "bert": return try BertModel.load(folder: folder)
        case let other?:
            throw EngineError.invalidConfig("model_type \(other) is not supported (supported: \(supportedTypes.joined(separator: ", ")))")
        }
    }

    /// A model of the folder's configuration with the family's random initialisation (its weights, if any, are
    /// not read): training from scratch.
    public static func initialized(folder: URL, seed: UInt64) throws -> any LanguageModel {
        let json = try JSONConfig(url: folder.appendingPathComponent("config.json"))
        switch json.modelType {
        case "gpt2", nil:
            let model = try GPT2Model(config: GPT2Config(json: json))
            model.sourceConfig = json
            model.initializeRandomly(seed: seed)
            return model
        case "llama":
            let model = try LlamaModel(config: LlamaConfig(json: json))
            model.sourceConfig = json
            model.initializeRandomly(seed: seed)
            return model
        case "bert":
            let model = try BertModel(config: BertConfig(json: json))
            model.sourceConfig = json
            model.initializeRandomly(seed: seed)
            return model
        case let other?:
            throw EngineError.invalidConfig("model_type \(other) is not supported (supported: \(supportedTypes.joined(separator: ", ")))")
        }
    }

    /// The tokenizer saved in a model folder: WordPiece for BERT, byte-level BPE for the causal families.
    public static func tokenizer(folder: URL) throws -> any TextTokenizer {
        let json = try JSONConfig(url: folder.appendingPathComponent("config.json"))
        if json.modelType == "bert" { return try WordPieceTokenizer.load(folder: folder) }
        return try ByteLevelBPETokenizer.load(folder: folder)
    }
}
