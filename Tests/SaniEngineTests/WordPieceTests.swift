import Foundation
import XCTest
@testable import SaniEngine

/// Expected encodings computed by Hugging Face (scripts/make_wordpiece_fixtures.py).
private struct WordPieceFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var text: String
        var ids: [Int]
        var offsets: [[Int]]
        var decoded: String
    }

    struct Suite: Decodable {
        var vocabularySize: Int
        var cases: [Case]

        enum CodingKeys: String, CodingKey {
            case vocabularySize = "vocabulary_size"
            case cases
        }
    }

    var uncased: Suite
    var uncasedKeepAccents: Suite
    var cased: Suite

    enum CodingKeys: String, CodingKey {
        case uncased, cased
        case uncasedKeepAccents = "uncased_keep_accents"
    }
}

final class WordPieceTests: XCTestCase {
    private static func folder() throws -> URL {
        guard let resources = Bundle.module.resourceURL else { throw XCTSkip("no test resources") }
        return resources.appendingPathComponent("Fixtures/wordpiece")
    }

    private static func fixture() throws -> WordPieceFixture {
        let data = try Data(contentsOf: folder().appendingPathComponent("cases.json"))
        return try JSONDecoder().decode(WordPieceFixture.self, from: data)
    }

    private func check(_ tokenizer: WordPieceTokenizer, _ suite: WordPieceFixture.Suite, label: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(tokenizer.vocabularySize, suite.vocabularySize, label, file: file, line: line)
        for test in suite.cases {
            let spans = tokenizer.encodeWithOffsets(test.text)
            XCTAssertEqual(spans.map(\.id), test.ids, "\(label) \(test.name) ids", file: file, line: line)
            XCTAssertEqual(spans.map { [$0.start, $0.end] }, test.offsets, "\(label) \(test.name) offsets", file: file, line: line)
            XCTAssertEqual(tokenizer.encode(test.text), test.ids, "\(label) \(test.name) encode", file: file, line: line)
            XCTAssertEqual(tokenizer.decode(test.ids), test.decoded, "\(label) \(test.name) decode", file: file, line: line)
        }
    }

    func testUncasedFromTokenizerJSONMatchesHuggingFace() throws {
        let tokenizer = try WordPieceTokenizer.load(folder: Self.folder().appendingPathComponent("uncased"))
        XCTAssertTrue(tokenizer.lowercase)
        XCTAssertTrue(tokenizer.stripAccents)
        try check(tokenizer, Self.fixture().uncased, label: "uncased json")
    }

    func testUncasedFromVocabTextMatchesHuggingFace() throws {
        let tokenizer = try Self.loadFromVocabText("uncased")
        try check(tokenizer, Self.fixture().uncased, label: "uncased vocab.txt")
    }

    func testKeepAccentsMatchesHuggingFace() throws {
        let base = try Self.loadFromVocabText("uncased")
        let tokenizer = try WordPieceTokenizer(vocabulary: base.vocabulary, lowercase: true, stripAccents: false)
        try check(tokenizer, Self.fixture().uncasedKeepAccents, label: "keep accents")
    }

    func testCasedMatchesHuggingFace() throws {
        let folder = try Self.folder().appendingPathComponent("cased")
        let fromJSON = try WordPieceTokenizer.load(folder: folder)
        XCTAssertFalse(fromJSON.lowercase)
        XCTAssertFalse(fromJSON.stripAccents)
        try check(fromJSON, Self.fixture().cased, label: "cased json")
        try check(Self.loadFromVocabText("cased"), Self.fixture().cased, label: "cased vocab.txt")
    }

    func testSpecialTokenIDs() throws {
        let tokenizer = try WordPieceTokenizer.load(folder: Self.folder().appendingPathComponent("uncased"))
        XCTAssertEqual(tokenizer.padID, 0)
        XCTAssertEqual(tokenizer.unknownID, 1)
        XCTAssertEqual(tokenizer.clsID, 2)
        XCTAssertEqual(tokenizer.sepID, 3)
        XCTAssertEqual(tokenizer.maskID, 4)
        XCTAssertEqual(tokenizer.endOfTextID, 3)
        XCTAssertEqual(tokenizer.tokenID("[MASK]"), 4)
        XCTAssertEqual(tokenizer.token(4), "[MASK]")
        XCTAssertNil(tokenizer.token(-1))
        XCTAssertNil(tokenizer.token(tokenizer.vocabularySize))
    }

    func testSaveLoadRoundTrip() throws {
        let original = try WordPieceTokenizer.load(folder: Self.folder().appendingPathComponent("cased"))
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: target) }
        try original.save(to: target)
        let reloaded = try WordPieceTokenizer.load(folder: target)
        XCTAssertEqual(reloaded.vocabulary, original.vocabulary)
        XCTAssertEqual(reloaded.lowercase, original.lowercase)
        XCTAssertEqual(reloaded.stripAccents, original.stripAccents)
        try check(reloaded, Self.fixture().cased, label: "round trip")
    }

    func testMalformedInputsThrow() throws {
        assertTokenizerError(try WordPieceTokenizer(vocabulary: [:]))
        assertTokenizerError(try WordPieceTokenizer(vocabulary: ["a": 0, "##b": 1]))
        assertTokenizerError(try WordPieceTokenizer(vocabulary: ["[UNK]": -3]))
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: target) }
        assertTokenizerError(try WordPieceTokenizer.load(folder: target))
        try Data().write(to: target.appendingPathComponent("vocab.txt"))
        assertTokenizerError(try WordPieceTokenizer.load(folder: target))
        try Data("a\nb\n##c\n".utf8).write(to: target.appendingPathComponent("vocab.txt"))
        assertTokenizerError(try WordPieceTokenizer.load(folder: target))
        try Data("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}, \"normalizer\": {\"type\": \"NFC\"}}".utf8)
            .write(to: target.appendingPathComponent("tokenizer.json"))
        assertTokenizerError(try WordPieceTokenizer.load(folder: target))
    }

    private static func loadFromVocabText(_ name: String) throws -> WordPieceTokenizer {
        let source = try folder().appendingPathComponent(name)
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: target) }
        for file in ["vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: target.appendingPathComponent(file))
        }
        return try WordPieceTokenizer.load(folder: target)
    }

    private func assertTokenizerError<T>(_ expression: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            guard case EngineError.tokenizer = error else {
                XCTFail("expected EngineError.tokenizer, got \(error)", file: file, line: line)
                return
            }
        }
    }
}
