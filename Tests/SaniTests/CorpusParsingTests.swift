import Foundation
import XCTest
@testable import Sani

final class CorpusParsingTests: XCTestCase {
    private func parseJSONL(_ text: String) throws -> Corpus {
        try Corpus.parse(data: Data(text.utf8), format: .jsonl)
    }

    /// The error of parsing `text` as JSONL, which must be `.invalidCorpus`.
    private func corpusError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> (line: Int?, reason: String) {
        do {
            _ = try parseJSONL(text)
            XCTFail("expected an error", file: file, line: line)
        } catch let SaniError.invalidCorpus(errorLine, reason) {
            return (errorLine, reason)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return (nil, "")
    }

    func testJSONLRecordsWithSubjectsIdsAndSpans() throws {
        let text = """
            {"text": "Mrs. Alice Durand, 67, was admitted on 03/14/2021.", "subject": "patient-17", "id": "note-1", "spans": [{"start": 5, "end": 17, "label": "PATIENT"}, {"start": 39, "end": 49, "label": "DATE", "text": "03/14/2021"}]}

            {"text": "Follow-up visit, no complaints.", "subject": 17, "id": 2}
            {"text": "Discharge summary.", "subject": null}
            """
        let corpus = try parseJSONL(text)
        XCTAssertEqual(corpus.records.count, 3)
        XCTAssertEqual(corpus.records[0].subject, "patient-17")
        XCTAssertEqual(corpus.records[0].id, "note-1")
        XCTAssertEqual(corpus.records[0].annotations, [
            SensitiveSpan(start: 5, end: 17, label: "PATIENT", source: .annotation),
            SensitiveSpan(start: 39, end: 49, label: "DATE", source: .annotation),
        ])
        XCTAssertEqual(corpus.records[0].annotations[0].text(in: corpus.records[0].text), "Alice Durand")
        XCTAssertEqual(corpus.records[1].subject, "17")
        XCTAssertEqual(corpus.records[1].id, "2")
        XCTAssertNil(corpus.records[2].subject)
        XCTAssertTrue(corpus.hasSubjects)
    }

    func testSpanOffsetsCountCodePointsNotUTF16() throws {
        // "🩺" is one code point but two UTF-16 units; "é" is one code point.
        let text = #"{"text": "🩺 Héloïse Martin vue le 2 mai", "spans": [{"start": 2, "end": 16, "label": "PATIENT", "text": "Héloïse Martin"}]}"#
        let corpus = try parseJSONL(text)
        XCTAssertEqual(corpus.records[0].annotations[0].text(in: corpus.records[0].text), "Héloïse Martin")
    }

    func testErrorsCarryTheLineNumberAndAPreciseReason() {
        let valid = #"{"text": "ok"}"#
        var error = corpusError(valid + "\n\n" + #"{"text": "Seen by Dr. Patel", "spans": [{"start": 8, "end": 99, "label": "DOCTOR"}]}"#)
        XCTAssertEqual(error.line, 3)
        XCTAssertTrue(error.reason.contains("past the end"), error.reason)

        error = corpusError(valid + "\n" + #"{"text": "oops""#)
        XCTAssertEqual(error.line, 2)
        XCTAssertTrue(error.reason.contains("not valid JSON"), error.reason)

        error = corpusError(#"["not", "an", "object"]"# + "\n")
        XCTAssertNil(error.line)  // a JSON array file: the record is named instead
        XCTAssertTrue(error.reason.contains("record 1"), error.reason)

        error = corpusError(valid + "\n42")
        XCTAssertEqual(error.line, 2)
        XCTAssertTrue(error.reason.contains("expected a JSON object"), error.reason)

        error = corpusError(#"{"subject": "p1"}"#)
        XCTAssertEqual(error.line, 1)
        XCTAssertTrue(error.reason.contains("missing field \"text\""), error.reason)

        error = corpusError(#"{"text": ""}"#)
        XCTAssertTrue(error.reason.contains("empty"), error.reason)

        error = corpusError(#"{"text": 12}"#)
        XCTAssertTrue(error.reason.contains("must be a string"), error.reason)

        error = corpusError(valid + "\n" + valid + "\n" + #"{"text": "x", "patient": "Bob"}"#)
        XCTAssertEqual(error.line, 3)
        XCTAssertTrue(error.reason.contains("unknown field \"patient\""), error.reason)

        error = corpusError(#"{"text": "abcdef", "spans": [{"start": 3, "end": 3, "label": "X"}]}"#)
        XCTAssertTrue(error.reason.contains("start (3) must be less than end (3)"), error.reason)

        error = corpusError(#"{"text": "abcdef", "spans": [{"start": 1.5, "end": 3, "label": "X"}]}"#)
        XCTAssertTrue(error.reason.contains("\"start\" must be an integer"), error.reason)

        error = corpusError(#"{"text": "abcdef", "spans": [{"start": "1", "end": 3, "label": "X"}]}"#)
        XCTAssertTrue(error.reason.contains("\"start\" must be an integer, found a string"), error.reason)

        error = corpusError(#"{"text": "abcdef", "spans": [{"start": -1, "end": 3, "label": "X"}]}"#)
        XCTAssertTrue(error.reason.contains("negative"), error.reason)

        error = corpusError(#"{"text": "abcdef", "spans": [{"start": 0, "end": 3, "label": " "}]}"#)
        XCTAssertTrue(error.reason.contains("\"label\" is empty"), error.reason)

        error = corpusError(#"{"text": "abcdef", "spans": [{"start": 0, "end": 3}]}"#)
        XCTAssertTrue(error.reason.contains("span 1: \"label\""), error.reason)

        error = corpusError(#"{"text": "abcdef", "spans": [{"start": 0, "end": 3, "label": "X", "text": "abd"}]}"#)
        XCTAssertTrue(error.reason.contains("does not match"), error.reason)

        error = corpusError(#"{"text": "abcdef", "spans": {"start": 0}}"#)
        XCTAssertTrue(error.reason.contains("\"spans\" must be an array"), error.reason)

        error = corpusError(#"{"text": "abcdef", "subject": ["a"]}"#)
        XCTAssertTrue(error.reason.contains("\"subject\" must be a string or a number"), error.reason)
    }

    func testErrorDescriptionIsReadable() {
        let error = SaniError.invalidCorpus(line: 12, reason: "missing field \"text\"")
        XCTAssertEqual(error.description, "invalid corpus at line 12: missing field \"text\"")
        XCTAssertEqual(error.localizedDescription, error.description)
    }

    func testWindowsLineEndsAndByteOrderMark() throws {
        let text = "\u{FEFF}{\"text\": \"first\"}\r\n\r\n{\"text\": \"second\", \"subject\": \"p2\"}\r\n"
        let corpus = try parseJSONL(text)
        XCTAssertEqual(corpus.records.map(\.text), ["first", "second"])

        let bad = "{\"text\": \"first\"}\r\n{\"text\": 3}\r\n"
        XCTAssertEqual(corpusError(bad).line, 2)
    }

    func testJSONArrayOfRecordsIsAccepted() throws {
        let corpus = try parseJSONL(#"[{"text": "a note", "subject": "p1"}, {"text": "another"}]"#)
        XCTAssertEqual(corpus.records.count, 2)
    }

    func testInvalidUTF8ReportsItsLine() {
        var data = Data(#"{"text": "fine"}"#.utf8)
        data.append(0x0A)
        data.append(contentsOf: [0x7B, 0xFF, 0xFE, 0x7D])
        XCTAssertThrowsError(try Corpus.parse(data: data, format: .jsonl)) { error in
            guard case let SaniError.invalidCorpus(line, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(line, 2)
            XCTAssertTrue(reason.contains("UTF-8"))
        }
    }

    func testEmptyCorpusIsRefused() {
        XCTAssertThrowsError(try Corpus.parse(data: Data("\n  \n".utf8), format: .jsonl))
        XCTAssertThrowsError(try Corpus.parse(data: Data(), format: .text))
    }

    func testPlainTextBlocks() throws {
        let text = """


            ADMISSION NOTE\r
            Patient: John Smith   \r
            \r
               \t
            DISCHARGE NOTE
              indented line\t

            \r
            FOLLOW-UP
            """
        let corpus = try Corpus.parse(data: Data(text.utf8), format: .text)
        XCTAssertEqual(corpus.records.map(\.text), [
            "ADMISSION NOTE\nPatient: John Smith",
            "DISCHARGE NOTE\n  indented line",
            "FOLLOW-UP",
        ])
        XCTAssertNil(corpus.records[0].subject)
    }

    func testFormatInference() {
        let json = Data(#"  {"text": "x"}"#.utf8)
        let plain = Data("Patient seen today.".utf8)
        XCTAssertEqual(CorpusFormat.infer(url: URL(fileURLWithPath: "/c/notes.jsonl"), data: plain), .jsonl)
        XCTAssertEqual(CorpusFormat.infer(url: URL(fileURLWithPath: "/c/notes.JSON"), data: plain), .jsonl)
        XCTAssertEqual(CorpusFormat.infer(url: URL(fileURLWithPath: "/c/notes.txt"), data: json), .text)
        XCTAssertEqual(CorpusFormat.infer(url: URL(fileURLWithPath: "/c/notes"), data: json), .jsonl)
        XCTAssertEqual(CorpusFormat.infer(url: URL(fileURLWithPath: "/c/notes.dat"), data: plain), .text)
    }

    func testLoadFromFilesAndMissingFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sani-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let jsonl = directory.appendingPathComponent("notes.jsonl")
        try Data("{\"text\": \"a\", \"subject\": \"p1\"}\n{\"text\": \"bc\", \"subject\": \"p1\"}\n{\"text\": \"déf\"}\n".utf8).write(to: jsonl)
        let corpus = try Corpus.load(url: jsonl)
        XCTAssertEqual(corpus.statistics, CorpusStatistics(records: 3, subjects: 1, recordsWithoutSubject: 1, characters: 6, annotations: 0))

        let sniffed = directory.appendingPathComponent("notes")
        try Data("Note one.\n\nNote two.\n".utf8).write(to: sniffed)
        XCTAssertEqual(try Corpus.load(url: sniffed).records.count, 2)

        let missing = directory.appendingPathComponent("absent.jsonl")
        XCTAssertThrowsError(try Corpus.load(url: missing)) { error in
            guard case let SaniError.io(path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing.path)
        }
    }
}
