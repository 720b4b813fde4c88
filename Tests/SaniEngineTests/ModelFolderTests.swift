import Foundation
import XCTest
@testable import SaniEngine

/// Loading GPT-2 folders in the layouts Hugging Face produces, and refusing broken ones clearly.
final class ModelFolderTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("sani-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    var source: URL { ReferenceFixtures.gpt2Tiny.appendingPathComponent("model") }

    func referenceLogits() throws -> [Float] {
        try GPT2Model.load(folder: source).forward(tokens: [1, 2, 3, 4, 5], batch: 1, length: 5).buffer.array
    }

    /// Writes `tensors` of the reference model, renamed by `rename`, split over `shards` files with an index.
    func writeVariant(rename: (String) -> String, shards: Int, extra: [String: [Float]] = [:],
                      shapeOverride: [String: [Int]] = [:]) throws -> URL {
        let folder = tmp.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        let model = try GPT2Model.load(folder: source)
        var named: [(String, [Int], [Float])] = model.parameters.specs.map { spec in
            (rename(spec.name), shapeOverride[spec.name] ?? spec.shape, model.parameters.array(spec.name))
        }
        for (k, v) in extra { named.append((k, [v.count], v)) }
        var weightMap: [String: String] = [:]
        let per = (named.count + shards - 1) / shards
        for s in 0..<shards {
            let part = Array(named[(s * per)..<min(named.count, (s + 1) * per)])
            let file = shards == 1 ? "model.safetensors" : String(format: "model-%05d-of-%05d.safetensors", s + 1, shards)
            try withExtendedLifetime(part) {
                let tensors = part.map { entry in
                    entry.2.withUnsafeBufferPointer { buf in
                        SafetensorsWriter.Tensor(name: entry.0, shape: entry.1,
                                                 data: UnsafeBufferPointer(start: UnsafeMutablePointer(mutating: buf.baseAddress!),
                                                                           count: buf.count))
                    }
                }
                try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent(file))
            }
            for entry in part { weightMap[entry.0] = file }
        }
        if shards > 1 {
            let index: [String: Any] = ["metadata": ["total_size": 0], "weight_map": weightMap]
            try JSONSerialization.data(withJSONObject: index).write(to: folder.appendingPathComponent("model.safetensors.index.json"))
        }
        return folder
    }

    func testShardedFolderWithoutPrefixAndWithBuffersLoads() throws {
        let folder = try writeVariant(rename: { String($0.dropFirst("transformer.".count)) }, shards: 3,
                                      extra: ["h.0.attn.bias": [1, 1, 1, 1], "lm_head.weight": [0]])
        let logits = try GPT2Model.load(folder: folder).forward(tokens: [1, 2, 3, 4, 5], batch: 1, length: 5).buffer.array
        XCTAssertEqual(logits, try referenceLogits())
    }

    func testShapeAgainstConfigIsChecked() throws {
        let folder = try writeVariant(rename: { $0 }, shards: 1,
                                      shapeOverride: ["transformer.h.1.mlp.c_fc.weight": [128, 32]])
        XCTAssertThrowsError(try GPT2Model.load(folder: folder)) { error in
            XCTAssertEqual(error as? EngineError, .shapeMismatch(tensor: "transformer.h.1.mlp.c_fc.weight",
                                                                 expected: [32, 128], found: [128, 32]))
        }
    }

    func testMissingTensorIsNamed() throws {
        let folder = try writeVariant(rename: { $0 == "transformer.ln_f.bias" ? "something.else" : $0 }, shards: 1)
        XCTAssertThrowsError(try GPT2Model.load(folder: folder)) { error in
            XCTAssertEqual(error as? EngineError, .missingTensor("transformer.ln_f.bias"))
        }
    }

    func testBadConfigsAreRefused() throws {
        let folder = try writeVariant(rename: { $0 }, shards: 1)
        let config = folder.appendingPathComponent("config.json")
        let cases: [(String, String)] = [
            ("{not json", "not valid JSON"),
            ("[1, 2]", "not a JSON object"),
            (#"{"model_type": "gpt2", "n_layer": 2, "n_embd": 32, "n_head": 4, "n_positions": 64}"#, "vocab_size"),
            (#"{"model_type": "gpt2", "vocab_size": 101, "n_layer": 2, "n_embd": 30, "n_head": 4, "n_positions": 64}"#, "divisible"),
            (#"{"model_type": "llama-x", "vocab_size": 101}"#, "model_type"),
            (#"{"model_type": "gpt2", "vocab_size": "many", "n_layer": 2, "n_embd": 32, "n_head": 4, "n_positions": 64}"#, "integer"),
            (#"{"model_type": "gpt2", "vocab_size": 101, "n_layer": 2, "n_embd": 32, "n_head": 4, "n_positions": 64, "activation_function": "relu"}"#, "relu"),
            (#"{"model_type": "gpt2", "vocab_size": 101, "n_layer": 2, "n_embd": 32, "n_head": 4, "n_positions": 64, "eos_token_id": 4294967296}"#, "eos_token_id"),
            (#"{"model_type": "gpt2", "vocab_size": 101, "n_layer": 16777215, "n_embd": 4000000, "n_head": 1, "n_positions": 64}"#, "limit"),
        ]
        for (text, fragment) in cases {
            try Data(text.utf8).write(to: config)
            XCTAssertThrowsError(try GPT2Model.load(folder: folder), text) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error) should mention \(fragment)")
            }
        }
    }

    func testSavedConfigKeepsUnknownFieldsAndRoundTrips() throws {
        let model = try GPT2Model.load(folder: source)
        let out = tmp.appendingPathComponent("saved")
        try model.save(to: out)
        let saved = try JSONConfig(url: out.appendingPathComponent("config.json"))
        let original = try JSONConfig(url: source.appendingPathComponent("config.json"))
        XCTAssertEqual(try GPT2Config(json: saved), model.config)
        for key in original.raw.keys { XCTAssertNotNil(saved.raw[key], "\(key) kept") }
    }

    func testLearningRateSchedule() {
        let s = LearningRateSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, shape: .cosine, minimumFraction: 0.1)
        XCTAssertEqual(s.rate(at: 0), 0.25)
        XCTAssertEqual(s.rate(at: 3), 1)
        XCTAssertEqual(s.rate(at: 4), 1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 9), 0.55, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 14), 0.1, accuracy: 1e-6)
        XCTAssertEqual(s.rate(at: 100), 0.1, accuracy: 1e-6)
        XCTAssertEqual(LearningRateSchedule(peak: 0.5).rate(at: 7), 0.5)
    }
}
