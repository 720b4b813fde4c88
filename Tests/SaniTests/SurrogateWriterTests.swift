import XCTest
@testable import Sani

/// Surrogates: made from label and shape, consistent inside a record, different across records, seeded, and
/// the rewritten annotations cover exactly the stand-ins.
final class SurrogateWriterTests: XCTestCase {
    func record(_ text: String, _ spans: [(String, String)]) -> CorpusRecord {
        var annotations: [SensitiveSpan] = []
        let scalars = Array(text.unicodeScalars)
        var from = 0
        for (piece, label) in spans {
            let p = Array(piece.unicodeScalars)
            var i = from
            while i + p.count <= scalars.count && Array(scalars[i..<(i + p.count)]) != p { i += 1 }
            precondition(i + p.count <= scalars.count, "\(piece) not in text")
            annotations.append(SensitiveSpan(start: i, end: i + p.count, label: label, source: .annotation))
            from = i + p.count
        }
        return CorpusRecord(text: text, subject: "p1", annotations: annotations)
    }

    let note = "Patient Jane Holloway (MRN 4471-2093) seen at Brookfield General Hospital on 03/14/2024. "
        + "Holloway returns on March 28, 2024; call 555-201-7788. Age 93. jane.h@example.org"

    func spans() -> [(String, String)] {
        [("Jane Holloway", "PATIENT"), ("4471-2093", "MEDICALRECORD"), ("Brookfield General Hospital", "HOSPITAL"),
         ("03/14/2024", "DATE"), ("Holloway", "PATIENT"), ("March 28, 2024", "DATE"), ("555-201-7788", "PHONE"),
         ("93", "AGE"), ("jane.h@example.org", "EMAIL")]
    }

    func testEverySpanIsReplacedAndAnnotationsCoverTheStandIns() throws {
        let original = record(note, spans())
        let out = SurrogateWriter(seed: 7).rewrite(original, index: 0)
        XCTAssertEqual(out.annotations.count, original.annotations.count)
        XCTAssertEqual(out.annotations.map(\.label), original.annotations.map(\.label))
        for (a, b) in zip(original.annotations, out.annotations) {
            let before = a.text(in: original.text), after = b.text(in: out.text)
            XCTAssertNotEqual(before, after, "\(a.label) kept its text")
            XCTAssertFalse(after.isEmpty)
        }
        // Nothing of the identifiers is left; the text around them is.
        for word in ["Jane", "Holloway", "4471", "2093", "Brookfield", "7788", "jane.h"] {
            XCTAssertFalse(out.text.contains(word), "\(word) survived")
        }
        XCTAssertTrue(out.text.hasPrefix("Patient "))
        XCTAssertTrue(out.text.contains(" seen at "))
        XCTAssertTrue(out.text.contains("General Hospital"), "the kind of place is kept: \(out.text)")
    }

    func testShapesAreKept() throws {
        let out = SurrogateWriter(seed: 3).rewrite(record(note, spans()), index: 0)
        let texts = out.annotations.map { $0.text(in: out.text) }
        func shape(_ s: String) -> String {
            String(s.map { $0.isNumber ? "9" : $0.isUppercase ? "A" : $0.isLowercase ? "a" : $0 })
        }
        XCTAssertEqual(shape(texts[1]), "9999-9999")
        XCTAssertEqual(shape(texts[6]), "999-999-9999")
        XCTAssertEqual(texts[8].filter { "@.".contains($0) }, ".@.")
        XCTAssertEqual(texts[8].count, "jane.h@example.org".count)
        XCTAssertTrue(texts[8].contains("@"))
        // Dates stay real dates in their own format, moved by one offset for the whole record.
        let us = texts[3].split(separator: "/").compactMap { Int($0) }
        XCTAssertEqual(us.count, 3)
        XCTAssertTrue((1...12).contains(us[0]) && (1...31).contains(us[1]))
        XCTAssertEqual(texts[3].count, 10)
        let first = SurrogateDate.dayNumber(us[2], us[0], us[1])
        XCTAssertEqual(first - SurrogateDate.dayNumber(2024, 3, 14), try XCTUnwrap(self.offset(texts[5], from: (2024, 3, 28))))
        // Names: capitalised invented words; an age over 89 stays over 89.
        XCTAssertTrue(texts[0].split(separator: " ").allSatisfy { $0.first?.isUppercase == true })
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(Int(texts[7])), 90)
    }

    /// Days between a written `March 28, 2024`-style date and `from`.
    func offset(_ written: String, from: (Int, Int, Int)) -> Int? {
        let parts = written.replacingOccurrences(of: ",", with: "").split(separator: " ")
        guard parts.count == 3, let m = SurrogateDate.months.firstIndex(of: parts[0].lowercased()),
              let d = Int(parts[1]), let y = Int(parts[2]) else { return nil }
        return SurrogateDate.dayNumber(y, m + 1, d) - SurrogateDate.dayNumber(from.0, from.1, from.2)
    }

    func testConsistentInsideARecordDifferentAcrossRecordsAndSeeded() throws {
        let text = "Dr. Amber Quill saw Mr. Quill. Amber Quill signed."
        let r = record(text, [("Amber Quill", "DOCTOR"), ("Quill", "PATIENT"), ("Amber Quill", "DOCTOR")])
        let writer = SurrogateWriter(seed: 11)
        let a = writer.rewrite(r, index: 0)
        let t = a.annotations.map { $0.text(in: a.text) }
        XCTAssertEqual(t[0], t[2], "one surrogate per original per record")
        let b = writer.rewrite(r, index: 1)
        XCTAssertNotEqual(b.annotations[0].text(in: b.text), t[0], "another record gets another surrogate")
        XCTAssertEqual(writer.rewrite(r, index: 0), a, "the same seed gives the same text")
        XCTAssertNotEqual(SurrogateWriter(seed: 12).rewrite(r, index: 0).text, a.text)
    }

    func testDateForms() {
        XCTAssertEqual(SurrogateDate.shift("2024-02-28", byDays: 2), "2024-03-01")
        XCTAssertEqual(SurrogateDate.shift("12/31/2023", byDays: 1), "01/01/2024")
        XCTAssertEqual(SurrogateDate.shift("3/7/24", byDays: -7), "2/29/24")
        XCTAssertEqual(SurrogateDate.shift("March 7, 2024", byDays: 30), "April 6, 2024")
        XCTAssertEqual(SurrogateDate.shift("Mar 7, 2024", byDays: 30), "Apr 6, 2024")
        XCTAssertEqual(SurrogateDate.shift("7 March 2024", byDays: -7), "29 February 2024")
        XCTAssertNil(SurrogateDate.shift("13/45/2024", byDays: 1))
        XCTAssertNil(SurrogateDate.shift("last spring", byDays: 1))
    }

    func testOverlappingSpansAreReplacedOnce() {
        let r = CorpusRecord(text: "seen by Ann Lee today", annotations: [
            SensitiveSpan(start: 8, end: 15, label: "DOCTOR", source: .annotation),
            SensitiveSpan(start: 12, end: 15, label: "PATIENT", source: .term)])
        let out = SurrogateWriter(seed: 1).rewrite(r, index: 0)
        XCTAssertEqual(out.annotations.count, 1)
        XCTAssertTrue(out.text.hasPrefix("seen by ") && out.text.hasSuffix(" today"))
        XCTAssertFalse(out.text.contains("Ann") || out.text.contains("Lee"))
    }
}
