import Foundation
import XCTest
@testable import SaniEngine

/// Expected encodings computed by Hugging Face `tokenizers` (scripts/make_tokenizer_fixtures.py).
private struct TokenizerFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var text: String
        var ids: [Int]
        var offsets: [[Int]]
        var decoded: String
    }

    struct DecodeCase: Decodable {
        var ids: [Int]
        var text: String
    }

    struct Suite: Decodable {
        var vocabularySize: Int
        var endOfTextID: Int?
        var cases: [Case]
        var decodeCases: [DecodeCase]?

        enum CodingKeys: String, CodingKey {
            case vocabularySize = "vocabulary_size"
            case endOfTextID = "end_of_text_id"
            case cases
            case decodeCases = "decode_cases"
        }
    }

    var gpt2: Suite
    var tiny: Suite
    var tinyFiles: Suite
    var tinyDigits: Suite

    enum CodingKeys: String, CodingKey {
        case gpt2, tiny
        case tinyFiles = "tiny_files"
        case tinyDigits = "tiny_digits"
    }

    /// Tests/SaniEngineTests/Fixtures/tokenizer, as copied into the test bundle.
    static var folder: URL {
        get throws {
            guard let resources = Bundle.module.resourceURL else {
                throw EngineError.io(path: "test bundle", reason: "no resource folder")
            }
            return resources.appendingPathComponent("Fixtures/tokenizer")
        }
    }

    static func load() throws -> TokenizerFixture {
        let data = try Data(contentsOf: try folder.appendingPathComponent("gpt2_cases.json"))
        return try JSONDecoder().decode(TokenizerFixture.self, from: data)
    }
}

/// GPT-2's real vocabulary, fetched into .cache/assets/gpt2 by scripts/fetch-assets.sh.
private enum GPT2Assets {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".cache/assets/gpt2")
    static let vocabJSON = folder.appendingPathComponent("vocab.json")
    static let mergesTXT = folder.appendingPathComponent("merges.txt")

    /// Loaded once for all tests.
    static let shared: Result<ByteLevelBPETokenizer, any Error> = Result {
        guard FileManager.default.fileExists(atPath: vocabJSON.path), FileManager.default.fileExists(atPath: mergesTXT.path) else {
            throw EngineError.io(
                path: folder.path,
                reason: "GPT-2 vocabulary missing (vocab.json, merges.txt): run scripts/fetch-assets.sh")
        }
        return try ByteLevelBPETokenizer.load(vocabJSON: vocabJSON, mergesTXT: mergesTXT)
    }

    /// The GPT-2 tokenizer; throws, which fails the calling test (never skips it), when the
    /// vocabulary is missing.
    static func tokenizer() throws -> ByteLevelBPETokenizer {
        try shared.get()
    }
}

final class TokenizerTests: XCTestCase {
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sani-tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Checks ids, offsets and decoding of every case of `suite`.
    private func check(
        _ tokenizer: ByteLevelBPETokenizer, against suite: TokenizerFixture.Suite, label: String,
        skipping skipped: Set<String> = [], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(tokenizer.vocabularySize, suite.vocabularySize, "\(label) vocabulary size", file: file, line: line)
        XCTAssertEqual(tokenizer.endOfTextID, suite.endOfTextID, "\(label) end-of-text id", file: file, line: line)
        for testCase in suite.cases where !skipped.contains(testCase.name) {
            let spans = tokenizer.encodeWithOffsets(testCase.text)
            XCTAssertEqual(spans.map(\.id), testCase.ids, "\(label) ids of '\(testCase.name)'", file: file, line: line)
            XCTAssertEqual(
                spans.map { [$0.start, $0.end] }, testCase.offsets, "\(label) offsets of '\(testCase.name)'", file: file, line: line)
            XCTAssertEqual(tokenizer.encode(testCase.text), testCase.ids, "\(label) encode of '\(testCase.name)'", file: file, line: line)
            XCTAssertEqual(tokenizer.decode(testCase.ids), testCase.decoded, "\(label) decode of '\(testCase.name)'", file: file, line: line)
        }
    }

    // MARK: GPT-2

    func testGPT2MatchesHuggingFace() throws {
        let fixture = try TokenizerFixture.load()
        let tokenizer = try GPT2Assets.tokenizer()
        XCTAssertGreaterThanOrEqual(fixture.gpt2.cases.count, 40)
        check(tokenizer, against: fixture.gpt2, label: "gpt2")
        for testCase in fixture.gpt2.cases {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(testCase.text)), testCase.text, "round trip of '\(testCase.name)'")
        }
    }

    func testGPT2DecodesInvalidUTF8AsHuggingFaceDoes() throws {
        let fixture = try TokenizerFixture.load()
        let tokenizer = try GPT2Assets.tokenizer()
        let cases = try XCTUnwrap(fixture.gpt2.decodeCases)
        XCTAssertFalse(cases.isEmpty)
        for testCase in cases {
            XCTAssertEqual(tokenizer.decode(testCase.ids), testCase.text, "decode of \(testCase.ids)")
        }
        XCTAssertEqual(tokenizer.decode([-1, 1_000_000]), "", "unknown ids are skipped")
    }

    func testGPT2Vocabulary() throws {
        let tokenizer = try GPT2Assets.tokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
        XCTAssertEqual(tokenizer.merges.count, 50000)
        XCTAssertEqual(tokenizer.endOfTextID, 50256)
        XCTAssertEqual(tokenizer.tokenID("Ġthe"), 262)
        XCTAssertEqual(tokenizer.token(262), "Ġthe")
        XCTAssertEqual(tokenizer.tokenID("<|endoftext|>"), 50256)
        XCTAssertEqual(tokenizer.token(50256), "<|endoftext|>")
        XCTAssertNil(tokenizer.token(-1))
        XCTAssertNil(tokenizer.token(50257))
        XCTAssertNil(tokenizer.tokenID("not a token at all"))
        XCTAssertEqual(tokenizer.addedTokens.map(\.content), ["<|endoftext|>"])
        XCTAssertTrue(tokenizer.addedTokens.allSatisfy(\.special))
    }

    /// A token that covers part of a multi-byte scalar covers the whole scalar; together the spans
    /// cover every scalar of the input.
    func testGPT2OffsetsCoverEveryScalar() throws {
        let tokenizer = try GPT2Assets.tokenizer()
        let text = "Zoë 👩🏽‍⚕️ saw 日本 patients<|endoftext|> on 03/14 \u{0301}x  "
        let spans = tokenizer.encodeWithOffsets(text)
        var covered = Set<Int>()
        for span in spans {
            XCTAssertLessThan(span.start, span.end)
            covered.formUnion(span.start..<span.end)
        }
        XCTAssertEqual(covered, Set(0..<text.unicodeScalars.count))
        XCTAssertEqual(zip(spans, spans.dropFirst()).filter { $0.start > $1.start }.count, 0, "spans are in order")
    }

    func testGPT2ConcurrentEncodingGivesTheSameIds() throws {
        let tokenizer = try GPT2Assets.tokenizer()
        let fixture = try TokenizerFixture.load()
        let texts = fixture.gpt2.cases.map(\.text)
        let expected = fixture.gpt2.cases.map(\.ids)
        let mismatches = ConcurrentCounter()
        // Eight workers share the tokenizer and its word cache, each in its own order.
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for (index, text) in texts.enumerated().shuffled() where tokenizer.encode(text) != expected[index] {
                mismatches.increment()
            }
        }
        XCTAssertEqual(mismatches.value, 0)
    }

    /// The scanning and the priority-queue merge orders give the same tokens.
    func testMergeStrategiesAgree() throws {
        let tokenizer = try GPT2Assets.tokenizer()
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("aaabbcdeeeilnorst -_.0123456789".utf8)
        for length in [2, 5, 17, 48, 49, 120, 400] {
            for _ in 0..<20 {
                let word = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
                let symbols = word.enumerated().map {
                    BPESymbol(id: tokenizer.byteTokenIDs[Int($0.element)], start: Int32($0.offset), length: 1)
                }
                var scanned = symbols
                var queued = symbols
                BPEWordMerger.mergeByScanning(&scanned, table: tokenizer.mergeTable)
                BPEWordMerger.mergeWithQueue(&queued, table: tokenizer.mergeTable)
                XCTAssertEqual(scanned, queued, "word \(String(decoding: word, as: UTF8.self))")
            }
        }
    }

    // MARK: tokenizer.json and other file forms

    func testTinyTokenizerJSONMatchesHuggingFace() throws {
        let fixture = try TokenizerFixture.load()
        let tokenizer = try ByteLevelBPETokenizer.load(
            tokenizerJSON: try TokenizerFixture.folder.appendingPathComponent("tiny/tokenizer.json"))
        check(tokenizer, against: fixture.tiny, label: "tiny")
        let mask = try XCTUnwrap(tokenizer.addedTokens.first { $0.content == "<mask>" })
        XCTAssertTrue(mask.special && mask.lstrip)
        let redacted = try XCTUnwrap(tokenizer.addedTokens.first { $0.content == "[REDACTED]" })
        XCTAssertFalse(redacted.special)
    }

    func testDigitsAndPrefixSpacePreTokenizerMatchesHuggingFace() throws {
        let fixture = try TokenizerFixture.load()
        let tokenizer = try ByteLevelBPETokenizer.load(folder: try TokenizerFixture.folder.appendingPathComponent("tiny_digits"))
        XCTAssertEqual(tokenizer.preTokenizer, PreTokenizer(addPrefixSpace: true, useRegex: true, digits: .individual))
        check(tokenizer, against: fixture.tinyDigits, label: "tiny_digits")
    }

    func testVocabularyFilesFolderMatchesTransformers() throws {
        let fixture = try TokenizerFixture.load()
        let tokenizer = try ByteLevelBPETokenizer.load(folder: try TokenizerFixture.folder.appendingPathComponent("tiny_files"))
        check(tokenizer, against: fixture.tinyFiles, label: "tiny_files")
        XCTAssertEqual(tokenizer.addedTokens.filter(\.special).map(\.content).sorted(), ["<mask>", "<|endoftext|>"])
    }

    /// tokenizer.json files written before `tokenizers` 0.20 spell merges as "a b" strings.
    func testLegacyMergeStringsGiveTheSameIds() throws {
        let fixture = try TokenizerFixture.load()
        let source = try TokenizerFixture.folder.appendingPathComponent("tiny/tokenizer.json")
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any])
        var model = try XCTUnwrap(root["model"] as? [String: Any])
        let pairs = try XCTUnwrap(model["merges"] as? [[String]])
        XCTAssertFalse(pairs.isEmpty)
        model["merges"] = pairs.map { $0.joined(separator: " ") }
        root["model"] = model
        let folder = try temporaryFolder()
        try JSONSerialization.data(withJSONObject: root).write(to: folder.appendingPathComponent("tokenizer.json"))
        check(try ByteLevelBPETokenizer.load(folder: folder), against: fixture.tiny, label: "tiny legacy merges")
    }

    /// vocab.json + merges.txt and the tokenizer.json written from them encode identically.
    func testVocabularyFilesAndTokenizerJSONAgree() throws {
        let fixture = try TokenizerFixture.load()
        let fromFiles = try GPT2Assets.tokenizer()
        let folder = try temporaryFolder()
        try fromFiles.save(to: folder)
        let fromJSON = try ByteLevelBPETokenizer.load(tokenizerJSON: folder.appendingPathComponent("tokenizer.json"))
        check(fromJSON, against: fixture.gpt2, label: "gpt2 via tokenizer.json")
        XCTAssertEqual(fromJSON.merges, fromFiles.merges)
        XCTAssertEqual(fromJSON.vocabulary, fromFiles.vocabulary)
    }

    func testSaveLoadRoundTrip() throws {
        let fixture = try TokenizerFixture.load()
        let original = try ByteLevelBPETokenizer.load(folder: try TokenizerFixture.folder.appendingPathComponent("tiny"))
        let folder = try temporaryFolder()
        try original.save(to: folder)
        for name in ["vocab.json", "merges.txt", "tokenizer.json", "added_tokens.json", "special_tokens_map.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
        }
        let reloaded = try ByteLevelBPETokenizer.load(folder: folder)
        XCTAssertEqual(reloaded.vocabulary, original.vocabulary)
        XCTAssertEqual(reloaded.merges, original.merges)
        XCTAssertEqual(Set(reloaded.addedTokens), Set(original.addedTokens))
        XCTAssertEqual(reloaded.preTokenizer, original.preTokenizer)
        check(reloaded, against: fixture.tiny, label: "saved tokenizer.json")

        // Without tokenizer.json the folder still loads, from vocab.json, merges.txt,
        // added_tokens.json and special_tokens_map.json, as transformers loads it (<mask> then
        // has no lstrip, which only tokenizer.json records).
        try FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.json"))
        let fromVocabularyFiles = try ByteLevelBPETokenizer.load(folder: folder)
        check(fromVocabularyFiles, against: fixture.tinyFiles, label: "saved vocab.json + merges.txt")
        let mask = try XCTUnwrap(fromVocabularyFiles.addedTokens.first { $0.content == "<mask>" })
        XCTAssertTrue(mask.special)

        let digits = try ByteLevelBPETokenizer.load(folder: try TokenizerFixture.folder.appendingPathComponent("tiny_digits"))
        let digitsFolder = try temporaryFolder()
        try digits.save(to: digitsFolder)
        check(try ByteLevelBPETokenizer.load(folder: digitsFolder), against: fixture.tinyDigits, label: "saved tiny_digits")
    }

    func testSavedFilesAreValidJSONWithEscapes() throws {
        let vocabulary = ["a": 0, "b": 1, "ab": 2, "\"": 3, "\\": 4, "Ċ": 5]
        let tokenizer = try ByteLevelBPETokenizer(
            vocabulary: vocabulary, merges: [BPEMergeRule("a", "b")],
            addedTokens: [AddedToken(content: "<q\"\n\u{1}>", id: 6, special: true)], endOfTextToken: "<q\"\n\u{1}>")
        let folder = try temporaryFolder()
        try tokenizer.save(to: folder)
        let vocab = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("vocab.json"))) as? [String: Int])
        XCTAssertEqual(vocab, vocabulary)
        let reloaded = try ByteLevelBPETokenizer.load(folder: folder)
        XCTAssertEqual(reloaded.endOfTextID, 6)
        XCTAssertEqual(reloaded.encode("ab\"<q\"\n\u{1}>"), [2, 3, 6])
        XCTAssertEqual(reloaded.decode([2, 6]), "ab<q\"\n\u{1}>")
    }

    // MARK: malformed input

    private func assertTokenizerError(
        _ expression: @autoclosure () throws -> ByteLevelBPETokenizer, mentions fragment: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            guard case let .tokenizer(message) = error as? EngineError else {
                return XCTFail("expected EngineError.tokenizer, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(message.contains(fragment), "message \"\(message)\" should mention \"\(fragment)\"", file: file, line: line)
        }
    }

    private func assertIOError(
        _ expression: @autoclosure () throws -> ByteLevelBPETokenizer, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            guard case .io = error as? EngineError else {
                return XCTFail("expected EngineError.io, got \(error)", file: file, line: line)
            }
        }
    }

    private func write(_ text: String, _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func testMalformedTokenizerJSONThrows() throws {
        let folder = try temporaryFolder()
        let invalid = try write("{\"model\": {\"vocab\": {\"a\": 0", "invalid.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: invalid), mentions: "not valid JSON")
        let array = try write("[1, 2]", "array.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: array), mentions: "not a JSON object")
        let noModel = try write("{\"version\": \"1.0\"}", "nomodel.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: noModel), mentions: "model")

        let byteLevel = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false}"
        func tokenizerJSON(model: String, preTokenizer: String = byteLevel, normalizer: String = "null") -> String {
            "{\"normalizer\": \(normalizer), \"pre_tokenizer\": \(preTokenizer), \"added_tokens\": [], \"model\": \(model)}"
        }
        let noVocab = try write(tokenizerJSON(model: "{\"type\": \"BPE\", \"merges\": []}"), "novocab.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: noVocab), mentions: "model.vocab")
        let emptyVocab = try write(tokenizerJSON(model: "{\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}"), "empty.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: emptyVocab), mentions: "empty")
        let noMerges = try write(tokenizerJSON(model: "{\"type\": \"BPE\", \"vocab\": {\"a\": 0}}"), "nomerges.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: noMerges), mentions: "model.merges")
        let unknownMerge = try write(
            tokenizerJSON(model: "{\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}"), "unknown.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: unknownMerge), mentions: "\"ab\"")
        let unknownPair = try write(
            tokenizerJSON(model: "{\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"ab\": 1}, \"merges\": [[\"a\", \"zz\"]]}"), "pair.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: unknownPair), mentions: "\"zz\"")
        let badMerge = try write(
            tokenizerJSON(model: "{\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"ab\"]}"), "badmerge.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: badMerge), mentions: "model.merges #1")
        let badID = try write(tokenizerJSON(model: "{\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}"), "badid.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: badID), mentions: "non-integer id")
        let hugeID = try write(tokenizerJSON(model: "{\"type\": \"BPE\", \"vocab\": {\"a\": 99999999999}, \"merges\": []}"), "huge.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: hugeID), mentions: "outside")
        let negativeID = try write(tokenizerJSON(model: "{\"type\": \"BPE\", \"vocab\": {\"a\": -3}, \"merges\": []}"), "neg.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: negativeID), mentions: "outside")
        let wordPiece = try write(tokenizerJSON(model: "{\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}"), "wp.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: wordPiece), mentions: "WordPiece")
        let model = "{\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}"
        let metaspace = try write(tokenizerJSON(model: model, preTokenizer: "{\"type\": \"Metaspace\"}"), "meta.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: metaspace), mentions: "Metaspace")
        let noPreTokenizer = try write(tokenizerJSON(model: model, preTokenizer: "null"), "nopre.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: noPreTokenizer), mentions: "pre_tokenizer")
        let normalizer = try write(tokenizerJSON(model: model, normalizer: "{\"type\": \"NFC\"}"), "nfc.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: normalizer), mentions: "NFC")
        let badAdded = try write(
            "{\"pre_tokenizer\": \(byteLevel), \"added_tokens\": [{\"content\": 3}], \"model\": \(model)}", "added.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(tokenizerJSON: badAdded), mentions: "added_tokens #1")
        assertIOError(try ByteLevelBPETokenizer.load(tokenizerJSON: folder.appendingPathComponent("absent.json")))
    }

    func testMalformedVocabularyFilesThrow() throws {
        let folder = try temporaryFolder()
        let vocab = try write("{\"a\": 0, \"b\": 1, \"ab\": 2}", "vocab.json", in: folder)
        let merges = try write("#version: 0.2\na b\n", "merges.txt", in: folder)
        XCTAssertEqual(try ByteLevelBPETokenizer.load(vocabJSON: vocab, mergesTXT: merges).encode("abba"), [2, 1, 0])

        let unknown = try write("#version: 0.2\na b\nab c\n", "unknown.txt", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(vocabJSON: vocab, mergesTXT: unknown), mentions: "\"c\"")
        let badLine = try write("a b\nabc\n", "badline.txt", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(vocabJSON: vocab, mergesTXT: badLine), mentions: "line 2")
        let threeParts = try write("a b c\n", "three.txt", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(vocabJSON: vocab, mergesTXT: threeParts), mentions: "line 1")
        let notJSON = try write("a: 0", "notjson.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(vocabJSON: notJSON, mergesTXT: merges), mentions: "not valid JSON")
        let list = try write("[\"a\", \"b\"]", "list.json", in: folder)
        assertTokenizerError(try ByteLevelBPETokenizer.load(vocabJSON: list, mergesTXT: merges), mentions: "not a JSON object")
        assertIOError(try ByteLevelBPETokenizer.load(vocabJSON: folder.appendingPathComponent("none.json"), mergesTXT: merges))
        assertIOError(try ByteLevelBPETokenizer.load(vocabJSON: vocab, mergesTXT: folder.appendingPathComponent("none.txt")))

        let empty = try temporaryFolder()
        assertIOError(try ByteLevelBPETokenizer.load(folder: empty))
        _ = try write("{\"a\": 0}", "vocab.json", in: empty)
        assertIOError(try ByteLevelBPETokenizer.load(folder: empty))
        _ = try write("", "merges.txt", in: empty)
        XCTAssertEqual(try ByteLevelBPETokenizer.load(folder: empty).encode("aa"), [0, 0])
        _ = try write("{\"eos_token\": 5}", "special_tokens_map.json", in: empty)
        assertTokenizerError(try ByteLevelBPETokenizer.load(folder: empty), mentions: "eos_token")
        _ = try write("not json", "special_tokens_map.json", in: empty)
        assertTokenizerError(try ByteLevelBPETokenizer.load(folder: empty), mentions: "not valid JSON")
    }

    func testConstructionChecksItsParts() {
        assertTokenizerError(try ByteLevelBPETokenizer(vocabulary: [:], merges: []), mentions: "empty")
        assertTokenizerError(
            try ByteLevelBPETokenizer(vocabulary: ["a": 0], merges: [], unknownToken: "<unk>"), mentions: "<unk>")
        assertTokenizerError(
            try ByteLevelBPETokenizer(vocabulary: ["a": 0], merges: [], endOfTextToken: "</s>"), mentions: "</s>")
        assertTokenizerError(
            try ByteLevelBPETokenizer(vocabulary: ["a": 0], merges: [], addedTokens: [AddedToken(content: "", id: 1, special: true)]),
            mentions: "empty")
    }

    // MARK: pieces

    func testByteLevelAlphabetIsABijection() {
        let scalars = ByteLevelAlphabet.scalarForByte
        XCTAssertEqual(Set(scalars).count, 256)
        XCTAssertEqual(scalars[0x20], "Ġ")
        XCTAssertEqual(scalars[0x0A], "Ċ")
        XCTAssertEqual(scalars[0x41], "A")
        for byte in 0..<256 {
            XCTAssertEqual(ByteLevelAlphabet.byte(for: scalars[byte]), UInt8(byte))
        }
        XCTAssertNil(ByteLevelAlphabet.byte(for: " "))
        XCTAssertNil(ByteLevelAlphabet.byte(for: "😀"))
    }

    func testPreTokenizerWords() {
        func words(_ text: String, _ preTokenizer: PreTokenizer = .gpt2) -> [String] {
            let scalars = Array(text.unicodeScalars)
            var result: [PreTokenizedWord] = []
            preTokenizer.split(scalars, range: 0..<scalars.count, into: &result)
            return result.map { word in
                (word.prefixSpace ? " " : "") + String(String.UnicodeScalarView(scalars[word.range]))
            }
        }
        XCTAssertEqual(words("Hello world"), ["Hello", " world"])
        XCTAssertEqual(words("a   b"), ["a", "  ", " b"])
        XCTAssertEqual(words("end   "), ["end", "   "])
        XCTAssertEqual(words("x\n\ny"), ["x", "\n", "\n", "y"])
        XCTAssertEqual(words("don't I'LL"), ["don", "'t", " I", "'", "LL"])
        XCTAssertEqual(words("it's 2021!!"), ["it", "'s", " 2021", "!!"])
        XCTAssertEqual(words("a12", PreTokenizer(addPrefixSpace: true, digits: .individual)), [" a", " 1", " 2"])
        XCTAssertEqual(words("a12 b", PreTokenizer(digits: .runs)), ["a", "12", " b"])
        XCTAssertEqual(words("\nfoo", PreTokenizer(addPrefixSpace: true)), [" ", "\n", "foo"])
        XCTAssertEqual(words("one two", PreTokenizer(useRegex: false)), ["one two"])
    }
}

/// A counter that several threads increment.
private final class ConcurrentCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// A small deterministic random number generator for test data.
private struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
