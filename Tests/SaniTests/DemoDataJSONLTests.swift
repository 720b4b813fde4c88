import Foundation
import XCTest
@testable import Sani

final class DemoDataJSONLTests: XCTestCase {
    func testGeneratedCorpusRoundTripsThroughTheParser() throws {
        let corpus = DemoCorpusGenerator(seed: 21).generate(records: 120)
        let data = corpus.jsonl()
        let parsed = try Corpus.parse(data: data, format: .jsonl)
        XCTAssertEqual(parsed, corpus)
        XCTAssertEqual(parsed.jsonl(), data, "writing the parsed corpus gives the same bytes")
    }

    func testOneLinePerRecordWithKeysInAFixedOrder() throws {
        let corpus = DemoCorpusGenerator(seed: 22).generate(records: 12)
        let text = try XCTUnwrap(String(data: corpus.jsonl(), encoding: .utf8))
        XCTAssertTrue(text.hasSuffix("}\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, 12)
        for line in lines {
            XCTAssertTrue(line.hasPrefix("{\"text\": \""), String(line.prefix(40)))
            let subject = try XCTUnwrap(line.range(of: ", \"subject\": \"patient-"))
            let spans = try XCTUnwrap(line.range(of: ", \"spans\": [{\"start\": "))
            XCTAssertLessThan(subject.lowerBound, spans.lowerBound)
            XCTAssertTrue(line.hasSuffix("\"}]}"))
        }
    }

    func testEscapesAndNonASCIITextRoundTrip() throws {
        let text = "Quote \" backslash \\ tab\tnew\nline\r\n bell \u{07} nul-ish \u{1F} é 🧑‍⚕️ 李 \u{2028} end /"
        let scalars = Array(text.unicodeScalars)
        let start = try XCTUnwrap(scalars.firstIndex(of: "🧑"))
        let record = CorpusRecord(
            text: text, subject: "patient \"7\"", id: "note\\1",
            annotations: [
                SensitiveSpan(start: 0, end: 5, label: "PATIENT", source: .annotation),
                SensitiveSpan(start: start, end: start + 3, label: "X\"Y", source: .annotation),
            ])
        let corpus = Corpus(records: [record, CorpusRecord(text: "plain")])
        let data = corpus.jsonl()
        let parsed = try Corpus.parse(data: data, format: .jsonl)
        XCTAssertEqual(parsed, corpus)
        XCTAssertEqual(Array(parsed.records[0].text.unicodeScalars), scalars)
        XCTAssertEqual(parsed.records[0].annotations[1].text(in: parsed.records[0].text), "🧑\u{200D}⚕")
        let written = try XCTUnwrap(String(data: data, encoding: .utf8))
        XCTAssertEqual(written.split(separator: "\n").count, 2, "no raw line break inside a record")
        XCTAssertTrue(written.contains("\\u0007"))
        XCTAssertTrue(written.contains("é 🧑"), "non-ASCII text is written as UTF-8")
        XCTAssertEqual(
            JSONLCorpusWriter().line(for: CorpusRecord(text: "a")), #"{"text": "a", "spans": []}"#)
    }

    func testEmptyCorpusWritesNothing() {
        XCTAssertTrue(Corpus(records: []).jsonl().isEmpty)
    }
}
