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
}
