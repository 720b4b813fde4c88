import Foundation
import XCTest
@testable import SaniEngine

/// BERT folders: save and reload, the family's initialisation, MLP neurons, and the model as a `LanguageModel`.
final class BertFolderTests: XCTestCase {
    var fixture: URL { ReferenceFixtures.root.appendingPathComponent("bert-tiny/model") }

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sani-bert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testSavedFolderReloadsWithIdenticalLogitsAndHuggingFaceNames() throws {
        let model = try BertModel.load(folder: fixture)
        let tokens: [Int32] = [2, 7, 9, 4, 11, 3, 5, 8]
        let before = try model.forward(tokens: tokens, batch: 2, length: 4).buffer.array
        let out = try temporaryFolder()
        try model.save(to: out, companionsFrom: nil)
        let file = try SafetensorsFile(url: out.appendingPathComponent("model.safetensors"))
        let names = Set(file.names)
        XCTAssertTrue(names.contains("bert.embeddings.word_embeddings.weight"))
        XCTAssertTrue(names.contains("cls.predictions.bias"))
        XCTAssertTrue(names.contains("bert.encoder.layer.0.attention.self.key.weight"))
        XCTAssertFalse(names.contains("cls.predictions.decoder.weight"), "the decoder is tied to the word embeddings")
        let config = try JSONConfig(url: out.appendingPathComponent("config.json"))
        XCTAssertEqual(config.modelType, "bert")
        XCTAssertEqual(config.raw["architectures"] as? [String], ["BertForMaskedLM"])
        let reloaded = try LanguageModelLoader.load(folder: out)
        XCTAssertEqual(reloaded.family, "bert")
        XCTAssertEqual(reloaded.objective, .masked)
        XCTAssertNil(reloaded.decoder, "a masked model does not decode")
        XCTAssertEqual(try reloaded.forward(tokens: tokens, batch: 2, length: 4).buffer.array, before)
    }

    func testInitialisationFollowsBert() throws {
        let config = BertConfig(vocabularySize: 500, hiddenSize: 64, layers: 2, heads: 4, intermediateSize: 128,
                                maxPositions: 64, padTokenID: 0)
        let model = try BertModel(config: config)
        model.initializeRandomly(seed: 3)
        func values(_ name: String) throws -> [Float] {
            let spec = try XCTUnwrap(model.parameters.spec(name))
            return Array(UnsafeBufferPointer(start: model.parameters.values.pointer + spec.offset, count: spec.count))
        }
        XCTAssertEqual(Set(try values("bert.encoder.layer.1.output.LayerNorm.weight")), [1])
        XCTAssertEqual(Set(try values("bert.encoder.layer.1.output.LayerNorm.bias")), [0])
        XCTAssertEqual(Set(try values("cls.predictions.bias")), [0])
        let word = try values("bert.embeddings.word_embeddings.weight")
        XCTAssertEqual(Set(word[0..<64]), [0], "the padding row is zero")
        let rest = word[64...]
        let mean = rest.reduce(0, +) / Float(rest.count)
        let std = (rest.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(rest.count)).squareRoot()
        XCTAssertEqual(std, 0.02, accuracy: 0.001)
        let other = try BertModel(config: config)
        other.initializeRandomly(seed: 3)
        XCTAssertEqual(other.parameters.values.array, model.parameters.values.array, "seeded")
    }

    func testResettingANeuronTouchesItsRowBiasAndColumnOnly() throws {
        let model = try BertModel.load(folder: fixture)
        let before = model.parameters.values.array
        let layout = model.mlpNeurons(block: 1)
        XCTAssertEqual(layout.neurons, model.config.intermediateSize)
        var rng = RandomSource(seed: 9)
        let neuron = 5
        model.resetNeuron(block: 1, index: neuron, rng: &rng)
        let after = model.parameters.values.array
        let d = model.config.hiddenSize, inner = model.config.intermediateSize
        var expectedChanged = Set<Int>()
        let p = "bert.encoder.layer.1."
        let iW = try XCTUnwrap(model.parameters.spec(p + "intermediate.dense.weight"))
        for j in 0..<d { expectedChanged.insert(iW.offset + neuron * d + j) }
        let oW = try XCTUnwrap(model.parameters.spec(p + "output.dense.weight"))
        for r in 0..<d { expectedChanged.insert(oW.offset + r * inner + neuron) }
        let iB = try XCTUnwrap(model.parameters.spec(p + "intermediate.dense.bias"))
        let changed = Set(before.indices.filter { before[$0] != after[$0] })
        XCTAssertTrue(changed.isSubset(of: expectedChanged.union([iB.offset + neuron])))
        XCTAssertGreaterThan(changed.count, 2 * d - 4, "the row and the column are re-drawn")
        XCTAssertEqual(after[iB.offset + neuron], 0, "the bias is zero")
    }

    func testActivationsAreTheGELUOutputOfEachBlock() throws {
        let model = try BertModel.load(folder: fixture)
        let tokens: [Int32] = [2, 7, 9, 4]
        _ = try model.forward(tokens: tokens, batch: 1, length: 4)
        XCTAssertNil(model.mlpActivations(block: 0), "the inference forward keeps no block's activations")
        try model.forwardForInspection(tokens: tokens, batch: 1, length: 4)
        let inner = model.config.intermediateSize
        let acts = try XCTUnwrap(model.mlpActivations(block: 0))
        let values = Array(UnsafeBufferPointer(start: acts, count: 4 * inner))
        XCTAssertTrue(values.allSatisfy { $0 >= -0.17 }, "GELU is bounded below by about -0.17")
        XCTAssertNil(model.mlpActivations(block: 9))
        model.releaseActivations()
        XCTAssertNil(model.mlpActivations(block: 0))
    }
}
