import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// Erase from the model the fine-tune started from: erased neurons and the rows of identifier tokens take the
/// base model's values; everything else keeps the fine-tuned values.
final class BaseModelEraseTests: XCTestCase {
    func testRestoredNeuronsAndTokenRowsAreTheBaseModelsAndNothingElseMoves() throws {
        let tunedFolder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32, seed: 1)
        let baseFolder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32, seed: 2)
        let tuned = try GPT2Model.load(folder: tunedFolder), base = try GPT2Model.load(folder: baseFolder)
        let before = tuned.parameters.values.array, baseValues = base.parameters.values.array
        tuned.restoreNeuron(block: 1, index: 7, from: base.parameters)
        tuned.restoreTokenRows([3, 40], from: base.parameters)
        let after = tuned.parameters.values.array

        let fc = try XCTUnwrap(tuned.parameters.spec("transformer.h.1.mlp.c_fc.weight"))       // [32, 128]
        let fcBias = try XCTUnwrap(tuned.parameters.spec("transformer.h.1.mlp.c_fc.bias"))
        let proj = try XCTUnwrap(tuned.parameters.spec("transformer.h.1.mlp.c_proj.weight"))   // [128, 32]
        let wte = try XCTUnwrap(tuned.parameters.spec("transformer.wte.weight"))               // [V, 32]
        var expected = Set<Int>([fcBias.offset + 7])
        for r in 0..<32 { expected.insert(fc.offset + r * 128 + 7) }
        for c in 0..<32 { expected.insert(proj.offset + 7 * 32 + c) }
        for t in [3, 40] { for c in 0..<32 { expected.insert(wte.offset + t * 32 + c) } }
        for i in 0..<after.count {
            XCTAssertEqual(after[i], expected.contains(i) ? baseValues[i] : before[i], "parameter \(i)")
        }
        XCTAssertEqual(tuned.tokenRowTensors.map(\.name), ["transformer.wte.weight"])
    }

    /// The tensors with a row per token in every family: embeddings, an untied head, BERT's output bias.
    func testTokenRowTensorsOfEveryFamily() throws {
        let bert = try BertModel(config: BertConfig(vocabularySize: 50, hiddenSize: 16, layers: 1, heads: 2,
                                                    intermediateSize: 32, maxPositions: 50))
        XCTAssertEqual(bert.tokenRowTensors.map(\.name), ["bert.embeddings.word_embeddings.weight", "cls.predictions.bias"])
        for tied in [true, false] {
            let llama = try LlamaModel(config: LlamaConfig(vocabularySize: 50, hiddenSize: 16, intermediateSize: 24, layers: 1,
                                                           heads: 2, kvHeads: 1, maxPositions: 50, tiedEmbeddings: tied))
            XCTAssertEqual(llama.tokenRowTensors.map(\.name),
                           tied ? ["model.embed_tokens.weight"] : ["model.embed_tokens.weight", "lm_head.weight"])
        }
    }

    func testIdentifierTokensAreThoseUsedMostlyInSpans() throws {
        let tokenizer = try ByteLevelBPETokenizer.load(folder: MethodTestSupport.tinyTokenizerFolder)
        let eot = Int32(try XCTUnwrap(tokenizer.endOfTextID))
        let corpusURL = try MethodTestSupport.temporaryFolder().appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpusURL)
        let tokenized = try TokenizedCorpus(corpus: try Corpus.load(url: corpusURL), tokenizer: tokenizer, separator: eot,
                                            vocabularySize: tokenizer.vocabularySize)
        var sensitive: [Int32: Int] = [:], all: [Int32: Int] = [:]
        for record in tokenized.records {
            for (id, label) in zip(record.ids, record.labels) {
                all[id, default: 0] += 1
                if label != nil { sensitive[id, default: 0] += 1 }
            }
        }
        let picked = Set(tokenized.identifierTokens(share: 0.5))
        XCTAssertFalse(picked.isEmpty)
        for (id, count) in all {
            XCTAssertEqual(picked.contains(Int(id)), Double(sensitive[id] ?? 0) >= 0.5 * Double(count) && sensitive[id] != nil,
                           "token \(tokenizer.decode([Int(id)]))")
        }
        // The words around the identifiers ("Patient", "Stable") are language, not identifiers.
        for word in ["Patient", " Stable"] {
            for id in tokenizer.encode(word) { XCTAssertFalse(picked.contains(id), word) }
        }
    }

    func testSanitizeFromABaseModelSaysSoAndRefusesAnotherArchitecture() throws {
        let tunedFolder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32, seed: 1)
        let baseFolder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32, seed: 2)
        let corpusURL = try MethodTestSupport.temporaryFolder().appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpusURL)
        var options = SanitizationOptions()
        options.auditAttacks = false  // the attacks have tests of their own
        options.forgetWeight = 0      // the paper's repair
        options.heldOutFraction = 0
        options.sequenceLength = 16
        options.epochs = 0
        options.eraseLayers = 1       // the last block only (with a base model the default is every block)
        options.eraseFraction = 1
        let out = try MethodTestSupport.temporaryFolder()
        let report = try Sanitizer(inputs: SanitizationInputs(model: tunedFolder, corpus: corpusURL, base: baseFolder,
                                                              output: out), options: options).run()
        let erase = try XCTUnwrap(report.erase)
        XCTAssertEqual(erase.source, .baseModel)
        XCTAssertGreaterThan(erase.restoredTokens ?? 0, 0)
        // Every MLP neuron of the last block is the base model's, the other block is untouched.
        let saved = try GPT2Model.load(folder: out), base = try GPT2Model.load(folder: baseFolder)
        let tuned = try GPT2Model.load(folder: tunedFolder)
        XCTAssertEqual(saved.parameters.array("transformer.h.1.mlp.c_fc.weight"), base.parameters.array("transformer.h.1.mlp.c_fc.weight"))
        XCTAssertEqual(saved.parameters.array("transformer.h.0.mlp.c_fc.weight"), tuned.parameters.array("transformer.h.0.mlp.c_fc.weight"))
        let encoded = try ReportJSON.encoder().encode(report)
        XCTAssertTrue(String(decoding: encoded, as: UTF8.self).contains("\"source\" : \"base-model\""))

        let otherShape = try MethodTestSupport.tinyModelFolder(layers: 3, channels: 32, seed: 2)
        XCTAssertThrowsError(try Sanitizer(inputs: SanitizationInputs(model: tunedFolder, corpus: corpusURL, base: otherShape,
                                                                      output: try MethodTestSupport.temporaryFolder()),
                                           options: options).run()) { error in
            XCTAssertTrue("\(error)".contains("the base model does not have the architecture"), "\(error)")
        }
        // Refused before any work: a base with repair-only, a folder without a model, a model without weights.
        var repairOnly = options
        repairOnly.method = .repairOnly
        let withBase = SanitizationInputs(model: tunedFolder, corpus: corpusURL, base: baseFolder,
                                          output: try MethodTestSupport.temporaryFolder())
        XCTAssertThrowsError(try Sanitizer(inputs: withBase, options: repairOnly).run()) { error in
            XCTAssertTrue("\(error)".contains("method repair-only does not erase"), "\(error)")
        }
        XCTAssertThrowsError(try Sanitizer.validate(inputs: withBase, options: repairOnly))
        let noWeights = try MethodTestSupport.temporaryFolder()
        try FileManager.default.copyItem(at: baseFolder.appendingPathComponent("config.json"),
                                         to: noWeights.appendingPathComponent("config.json"))
        for folder in [noWeights, corpusURL.deletingLastPathComponent()] {
            let inputs = SanitizationInputs(model: tunedFolder, corpus: corpusURL, base: folder,
                                            output: try MethodTestSupport.temporaryFolder())
            XCTAssertThrowsError(try Sanitizer.validate(inputs: inputs, options: options)) { error in
                XCTAssertTrue("\(error)".hasPrefix("model: the base model: "), "\(error)")
            }
        }
        XCTAssertThrowsError(try Sanitizer(inputs: SanitizationInputs(model: tunedFolder, corpus: corpusURL,
                                                                      base: corpusURL.deletingLastPathComponent(),
                                                                      output: try MethodTestSupport.temporaryFolder()),
                                           options: options).run()) { error in
            XCTAssertTrue("\(error)".contains("base model"), "\(error)")
        }
    }
    /// Two tiny models of the same shape (the fine-tuned one and its base), the small corpus, and options for a
    /// quick run without the attacks.
    private func tunedAndBase(layers: Int) throws -> (URL, URL, URL, SanitizationOptions) {
        let tuned = try MethodTestSupport.tinyModelFolder(layers: layers, channels: 32, seed: 1)
        let base = try MethodTestSupport.tinyModelFolder(layers: layers, channels: 32, seed: 2)
        let corpus = try MethodTestSupport.temporaryFolder().appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpus)
        var options = SanitizationOptions()
        options.auditAttacks = false
        options.heldOutFraction = 0
        options.sequenceLength = 16
        return (tuned, base, corpus, options)
    }

    /// `eraseWholeBlocks`: every parameter of the erased blocks (attention and norms too) takes the base model's
    /// values; the blocks before them keep the fine-tune's. Without a base model the option is refused.
    func testWholeBlocksAreTheBaseModelsAndTheOthersAreUntouched() throws {
        let (tunedFolder, baseFolder, corpusURL, quick) = try tunedAndBase(layers: 3)
        var options = quick
        options.forgetWeight = 0
        options.epochs = 0
        options.eraseLayers = 2
        options.eraseFraction = 0.25
        options.eraseWholeBlocks = true
        let out = try MethodTestSupport.temporaryFolder()
        let report = try Sanitizer(inputs: SanitizationInputs(model: tunedFolder, corpus: corpusURL, base: baseFolder,
                                                              output: out), options: options).run()
        XCTAssertEqual(report.erase?.wholeBlocks, true)
        XCTAssertEqual(report.erase?.blocks, [1, 2])
        let saved = try GPT2Model.load(folder: out), base = try GPT2Model.load(folder: baseFolder)
        let tuned = try GPT2Model.load(folder: tunedFolder)
        var restored = 0
        for spec in saved.parameters.specs where spec.name.hasPrefix("transformer.h.") {
            let block = Int(spec.name.split(separator: ".")[2])!
            let expected = block >= 1 ? base.parameters.array(spec.name) : tuned.parameters.array(spec.name)
            XCTAssertEqual(saved.parameters.array(spec.name), expected, spec.name)
            if block >= 1 && spec.name.contains(".attn.") { restored += 1 }
        }
        XCTAssertGreaterThanOrEqual(restored, 4, "the attention tensors of both erased blocks")
        // The two models differ there, so the equality above is not trivially true.
        XCTAssertNotEqual(base.parameters.array("transformer.h.2.attn.c_attn.weight"),
                          tuned.parameters.array("transformer.h.2.attn.c_attn.weight"))

        for (name, apply) in [("eraseWholeBlocks", { (o: inout SanitizationOptions) in o.eraseWholeBlocks = true }),
                              ("forgetReference base", { (o: inout SanitizationOptions) in o.forgetReference = .base })] {
            var o = options
            o.eraseWholeBlocks = false
            apply(&o)
            let inputs = SanitizationInputs(model: tunedFolder, corpus: corpusURL, output: try MethodTestSupport.temporaryFolder())
            XCTAssertThrowsError(try Sanitizer.validate(inputs: inputs, options: o), name) { error in
                XCTAssertTrue("\(error)".contains("give a base model"), "\(error)")
            }
        }
    }

    /// The block prefix of every family: what `restoreBlock` restores.
    func testBlockParameterPrefixOfEveryFamily() throws {
        let gpt2 = try GPT2Model.load(folder: try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32, seed: 1))
        XCTAssertEqual(gpt2.blockParameterPrefix(1), "transformer.h.1.")
        let llama = try LlamaModel(config: LlamaConfig(vocabularySize: 50, hiddenSize: 16, intermediateSize: 24, layers: 12,
                                                       heads: 2, kvHeads: 1, maxPositions: 50, tiedEmbeddings: true))
        XCTAssertEqual(llama.blockParameterPrefix(11), "model.layers.11.")
        // Block 1 must not take block 11's tensors.
        let other = try LlamaModel(config: LlamaConfig(vocabularySize: 50, hiddenSize: 16, intermediateSize: 24, layers: 12,
                                                       heads: 2, kvHeads: 1, maxPositions: 50, tiedEmbeddings: true))
        for i in 0..<other.parameters.count { other.parameters.values.pointer[i] = 1 }
        let n = llama.restoreBlock(1, from: other.parameters)
        let perBlock = llama.parameters.specs.filter { $0.name.hasPrefix("model.layers.1.") }.reduce(0) { $0 + $1.count }
        XCTAssertEqual(n, perBlock)
        XCTAssertTrue(llama.parameters.array("model.layers.11.mlp.up_proj.weight").allSatisfy { $0 != 1 })
        let bert = try BertModel(config: BertConfig(vocabularySize: 50, hiddenSize: 16, layers: 2, heads: 2,
                                                    intermediateSize: 32, maxPositions: 50))
        XCTAssertEqual(bert.blockParameterPrefix(0), "bert.encoder.layer.0.")
    }

    /// `forgetReference base` reads the reference probabilities from the base model (the run says which).
    func testForgettingAgainstTheBaseModelReadsTheBaseModel() throws {
        let (tunedFolder, baseFolder, corpusURL, quick) = try tunedAndBase(layers: 2)
        var options = quick
        options.epochs = 1
        options.forgetWeight = 1
        for reference in ForgetReference.allCases {
            options.forgetReference = reference
            let messages = LockedMessages()
            _ = try Sanitizer(inputs: SanitizationInputs(model: tunedFolder, corpus: corpusURL, base: baseFolder,
                                                         output: try MethodTestSupport.temporaryFolder()), options: options)
                .run(progress: { messages.append($0.message) })
            let read = messages.all.filter { $0.contains("probabilities of the sensitive tokens") }
            XCTAssertEqual(read, [reference == .base ? "reading the base model's probabilities of the sensitive tokens"
                                                     : "reading the model's probabilities of the sensitive tokens"])
        }
    }
}

/// Progress messages collected from the run's callback.
final class LockedMessages: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func append(_ m: String) { lock.lock(); messages.append(m); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return messages }
}
