import Foundation
import XCTest
@testable import Sani

final class TermsListTests: XCTestCase {
    private func covered(_ list: TermList, _ text: String) -> [String] {
        list.spans(in: text).map { "\($0.label):\($0.text(in: text))" }
    }

    private func termsError(_ text: String, _ format: TermListFormat) -> (line: Int?, reason: String) {
        do {
            _ = try TermList.parse(data: Data(text.utf8), format: format)
            XCTFail("expected an error")
        } catch let SaniError.invalidTerms(line, reason) {
            return (line, reason)
        } catch {
            XCTFail("unexpected error \(error)")
        }
        return (nil, "")
    }

    func testWordBoundariesAndCase() {
        let list = TermList(terms: ["Ann", "Smith"])
        XCTAssertEqual(
            covered(list, "ANN SMITH came for her annual visit; Joann and Smithson too. Ann's file."),
            ["TERM:ANN", "TERM:SMITH", "TERM:Ann"])
        let sensitive = TermList(terms: ["Ann"], caseSensitive: true)
        XCTAssertEqual(covered(sensitive, "ann and ANN and Ann"), ["TERM:Ann"])
    }

    func testTermsWithPunctuationAtTheirEdges() {
        let list = TermList(terms: ["#A-77", "Dr. Lee", "(617)"])
        XCTAssertEqual(covered(list, "ref#A-77, ref#A-77x, Dr. Leeds; call(617)555"), ["TERM:#A-77", "TERM:(617)"])
        XCTAssertEqual(covered(list, "Seen by Dr. Lee."), ["TERM:Dr. Lee"])
    }

    func testWhitespaceInTermsMatchesAnyWhitespaceRun() {
        let list = TermList(entries: [.init(term: "  Mass   General\tHospital ", label: "HOSPITAL")])
        XCTAssertEqual(list.entries.map(\.term), ["Mass General Hospital"])
        XCTAssertEqual(covered(list, "Transferred from Mass\n  General Hospital."), ["HOSPITAL:Mass\n  General Hospital"])
    }

    func testOverlappingTermsAreAllReported() {
        let list = TermList(entries: [.init(term: "John", label: "PATIENT"), .init(term: "John Smith", label: "PATIENT"),
                                      .init(term: "Smith Clinic", label: "HOSPITAL")])
        XCTAssertEqual(
            covered(list, "John Smith Clinic"),
            ["PATIENT:John", "PATIENT:John Smith", "HOSPITAL:Smith Clinic"])
    }

    func testUnicodeTermsAndOffsets() {
        let list = TermList(terms: ["Zoë", "Ångström"])
        let text = "🙂 ZOË ångström, Zoëlle, Zoe\u{0308}"
        let spans = list.spans(in: text)
        XCTAssertEqual(spans.map { $0.text(in: text) }, ["ZOË", "ångström"])
        XCTAssertEqual(spans.first?.start, 2)
        // A combining mark after the base letter keeps the word going: "Zoe" + U+0308 is not the term "Zoe".
        XCTAssertEqual(TermList(terms: ["Zoe"]).spans(in: "Zoe\u{0308}").count, 0)
    }

    func testDuplicatesAndEmptyTermsAreDropped() {
        let list = TermList(terms: ["Smith", "smith", " ", "SMITH"])
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(TermList(terms: ["Smith"], caseSensitive: true).count, 1)
    }

    func testPlainTextFile() throws {
        let file = """
            # confidential terms for the cardiology export
            Margaret O'Neil\tPATIENT

              Springfield Clinic\tHOSPITAL\r
            Project Bluebird
            """
        let list = try TermList.parse(data: Data(file.utf8), format: .text)
        XCTAssertEqual(list.entries, [
            .init(term: "Margaret O'Neil", label: "PATIENT"),
            .init(term: "Springfield Clinic", label: "HOSPITAL"),
            .init(term: "Project Bluebird", label: "TERM"),
        ])
    }

    func testPlainTextErrorsCarryLineNumbers() {
        var error = termsError("Alice\n\n\tPATIENT\n", .text)
        XCTAssertEqual(error.line, 3)
        XCTAssertTrue(error.reason.contains("term before the tab is empty"), error.reason)

        error = termsError("Alice\nBob\tPATIENT\tDOCTOR\n", .text)
        XCTAssertEqual(error.line, 2)
        XCTAssertTrue(error.reason.contains("TERM<TAB>LABEL"), error.reason)

        error = termsError("Alice\tbad label\n", .text)
        XCTAssertEqual(error.line, 1)
        XCTAssertTrue(error.reason.contains("must not contain spaces"), error.reason)

        error = termsError("Alice\t \n", .text)
        XCTAssertTrue(error.reason.contains("label is empty"), error.reason)

        error = termsError("# only comments\n\n", .text)
        XCTAssertTrue(error.reason.contains("no term"), error.reason)
    }

    func testJSONForms() throws {
        let strings = try TermList.parse(data: Data(#"["Alice Durand", "Bluebird"]"#.utf8), format: .json)
        XCTAssertEqual(strings.entries.map(\.label), ["TERM", "TERM"])

        let objects = try TermList.parse(
            data: Data(#"[{"term": "Alice Durand", "label": "PATIENT"}, {"term": "Bluebird"}, "Ward 7"]"#.utf8), format: .json)
        XCTAssertEqual(objects.entries, [
            .init(term: "Alice Durand", label: "PATIENT"), .init(term: "Bluebird", label: "TERM"),
            .init(term: "Ward 7", label: "TERM"),
        ])

        let map = try TermList.parse(data: Data(#"{"Alice Durand": "PATIENT", "Mercy Hospital": "HOSPITAL"}"#.utf8), format: .json)
        XCTAssertEqual(Set(map.entries), [.init(term: "Alice Durand", label: "PATIENT"), .init(term: "Mercy Hospital", label: "HOSPITAL")])
    }

    func testJSONErrors() {
        var error = termsError(#"["Alice", 12]"#, .json)
        XCTAssertTrue(error.reason.contains("entry 2"), error.reason)
        error = termsError(#"[{"term": "Alice", "kind": "PATIENT"}]"#, .json)
        XCTAssertTrue(error.reason.contains("unknown field \"kind\""), error.reason)
        error = termsError(#"{"Alice": 3}"#, .json)
        XCTAssertTrue(error.reason.contains("must be a string"), error.reason)
        error = termsError(#"["Alice", "#, .json)
        XCTAssertTrue(error.reason.contains("not valid JSON"), error.reason)
        error = termsError(#""Alice""#, .json)
        XCTAssertTrue(error.reason.contains("found a string"), error.reason)
    }

    func testLoadInfersTheFormat() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sani-terms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("terms")
        try Data(#"{"Bluebird": "PROJECT"}"#.utf8).write(to: json)
        XCTAssertEqual(try TermList.load(url: json).entries, [.init(term: "Bluebird", label: "PROJECT")])
        let text = directory.appendingPathComponent("terms.txt")
        try Data("[redacted]\n".utf8).write(to: text)
        XCTAssertEqual(try TermList.load(url: text).entries.map(\.term), ["[redacted]"])
        XCTAssertThrowsError(try TermList.load(url: directory.appendingPathComponent("none.txt")))
    }

    func testThousandsOfTermsOverALongText() {
        let terms = (0..<5000).map { "Surname\($0)" } + ["Alice Durand"]
        let list = TermList(terms: terms, label: "PATIENT")
        var text = ""
        for index in 0..<2000 {
            text += "Visit \(index): seen with Surname\(index * 2) and surname\(index * 2)x; Alice  Durand signed.\n"
        }
        let spans = list.spans(in: text)
        XCTAssertEqual(spans.count, 4000)
        XCTAssertEqual(spans.filter { $0.length == "Alice  Durand".count }.count, 2000)
    }
}
