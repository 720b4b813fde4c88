import Foundation
import XCTest
@testable import SaniEngine

final class WeightStoreTests: XCTestCase {
    private typealias Support = SafetensorsTestSupport

    func testSingleFileFolder() throws {
        let folder = try Support.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Support.write([("wte", [2, 3], [1, 2, 3, 4, 5, 6]), ("bias", [2], [7, 8])],
                          to: folder.appendingPathComponent("model.safetensors"))
        let store = try WeightStore(folder: folder)
        XCTAssertEqual(store.names, ["wte", "bias"])
        XCTAssertEqual(store.entry("wte")?.shape, [2, 3])
        XCTAssertEqual(try store.floats("bias"), [7, 8])
        let buffer = FloatBuffer(count: 6)
        try store.read("wte", into: buffer.pointer, count: buffer.count)
        XCTAssertEqual(buffer.array, [1, 2, 3, 4, 5, 6])
        XCTAssertThrowsError(try store.floats("nope")) { error in
            XCTAssertEqual(error as? EngineError, .missingTensor("nope"))
        }
        XCTAssertNil(store.entry("nope"))
    }

    func testShardedFolderWithIndex() throws {
        let folder = try makeShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try WeightStore(folder: folder)
        XCTAssertEqual(store.names, ["a", "b", "c"])
        XCTAssertEqual(store.files.count, 2)
        XCTAssertEqual(try store.floats("a"), [1, 2])
        XCTAssertEqual(try store.floats("b"), [3])
        XCTAssertEqual(try store.floats("c"), [4, 5, 6, 7])
        XCTAssertEqual(store.entry("c")?.shape, [2, 2])
        XCTAssertEqual(store.file(containing: "c")?.url.lastPathComponent, "model-00002-of-00002.safetensors")
        var c = [Float](repeating: 0, count: 4)
        try c.withUnsafeMutableBufferPointer { try store.read("c", into: XCTUnwrap($0.baseAddress), count: 4) }
        XCTAssertEqual(c, [4, 5, 6, 7])
    }

    func testSingleFileTakesPrecedenceOverIndex() throws {
        let folder = try makeShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Support.write([("only", [1], [9])], to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(try WeightStore(folder: folder).names, ["only"])
    }

    func testIndexPointingToMissingShard() throws {
        let folder = try makeShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model-00002-of-00002.safetensors"))
        assertMalformed(folder, "shard \"model-00002-of-00002.safetensors\" listed in weight_map does not exist")
    }

    func testTensorInTwoShards() throws {
        let folder = try makeShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Support.write([("b", [1], [3]), ("c", [2, 2], [4, 5, 6, 7])],
                          to: folder.appendingPathComponent("model-00002-of-00002.safetensors"))
        assertMalformed(folder, "tensor \"b\" is stored in two shards")
    }

    func testIndexDisagreeingWithShards() throws {
        let folder = try makeShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeIndex(["a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
                        "c": "model-00001-of-00002.safetensors", "d": "model-00002-of-00002.safetensors"],
                       in: folder)
        assertMalformed(folder, "puts tensor \"c\" in shard \"model-00001-of-00002.safetensors\"")
    }

    func testBadIndexFiles() throws {
        let folder = try Support.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        try Data("{not json".utf8).write(to: index)
        assertMalformed(folder, "not valid JSON")
        try Data("{\"metadata\": {}}".utf8).write(to: index)
        assertMalformed(folder, "missing \"weight_map\"")
        try Data("{\"weight_map\": {\"a\": 3}}".utf8).write(to: index)
        assertMalformed(folder, "not a file name string")
        try writeIndex(["a": "../outside.safetensors"], in: folder)
        assertMalformed(folder, "not a file in the model folder")
    }

    func testFolderWithoutWeights() throws {
        let folder = try Support.makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertThrowsError(try WeightStore(folder: folder)) { error in
            guard case let EngineError.io(_, reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("neither model.safetensors nor model.safetensors.index.json"), reason)
        }
        XCTAssertThrowsError(try WeightStore(folder: folder.appendingPathComponent("missing"))) { error in
            guard case EngineError.io = error else { return XCTFail("\(error)") }
        }
    }

    func testMalformedShardIsReported() throws {
        let folder = try makeShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let shard = folder.appendingPathComponent("model-00001-of-00002.safetensors")
        try Data([1, 2, 3]).write(to: shard)
        XCTAssertThrowsError(try WeightStore(folder: folder)) { error in
            guard case let EngineError.malformedFile(path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("model-00001-of-00002.safetensors"))
        }
    }

    /// The GPT-2 fixture folder written by transformers opens and every tensor converts.
    func testOpensTransformersCheckpoint() throws {
        let folder = Support.fixtureFolder.deletingLastPathComponent().appendingPathComponent("gpt2-tiny/model")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder.path), "gpt2-tiny fixture absent")
        let store = try WeightStore(folder: folder)
        XCTAssertFalse(store.names.isEmpty)
        for name in store.names {
            let entry = try XCTUnwrap(store.entry(name))
            XCTAssertEqual(try store.floats(name).count, entry.elementCount)
        }
    }

    // MARK: - Helpers

    /// A two-shard folder: shard 1 holds a, b; shard 2 holds c; the index maps them.
    private func makeShardedFolder() throws -> URL {
        let folder = try Support.makeTemporaryFolder()
        try Support.write([("a", [2], [1, 2]), ("b", [1], [3])],
                          to: folder.appendingPathComponent("model-00001-of-00002.safetensors"))
        try Support.write([("c", [2, 2], [4, 5, 6, 7])],
                          to: folder.appendingPathComponent("model-00002-of-00002.safetensors"))
        try writeIndex(["a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
                        "c": "model-00002-of-00002.safetensors"], in: folder)
        return folder
    }

    private func writeIndex(_ map: [String: String], in folder: URL) throws {
        let index: [String: Any] = ["metadata": ["total_size": 28], "weight_map": map]
        try JSONSerialization.data(withJSONObject: index)
            .write(to: folder.appendingPathComponent("model.safetensors.index.json"))
    }

    private func assertMalformed(_ folder: URL, _ expectedReason: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try WeightStore(folder: folder), file: file, line: line) { error in
            guard case let EngineError.malformedFile(_, reason) = error else {
                return XCTFail("expected malformedFile, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(reason.contains(expectedReason), "reason \"\(reason)\" lacks \"\(expectedReason)\"",
                          file: file, line: line)
        }
    }
}
