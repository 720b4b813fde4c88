import XCTest
@testable import Sani

/// What the detectors find in `text`, as "LABEL:covered text" in order.
func detectedSpans(_ text: String, _ kinds: Set<SpanDetector.Kind> = Set(SpanDetector.Kind.allCases)) -> [String] {
    SpanDetector(kinds: kinds).detect(in: text).map { "\($0.label):\($0.text(in: text))" }
}

final class SpanDetectorTests: XCTestCase {
    func testEveryDeclaredPatternCompiles() {
        XCTAssertEqual(SpanDetector.allRules.count, SpanDetector.declaredRuleCount)
    }

    func testEveryKindHasRulesAndItsLabels() {
        for kind in SpanDetector.Kind.allCases {
            let rules = SpanDetector.allRules.filter { $0.kind == kind }
            XCTAssertFalse(rules.isEmpty, "\(kind)")
            for rule in rules { XCTAssertTrue(kind.labels.contains(rule.label), "\(kind) \(rule.label)") }
        }
    }

    func testRealisticDischargeSummary() {
        let note = """
            DISCHARGE SUMMARY
            Patient: Margaret O'Neil   MRN: 00482913   DOB: 04/12/1931
            Admitted: 2021-03-14   Discharged: March 19, 2021
            Mrs. O'Neil is a 92-year-old woman with CHF, EF 35%, on furosemide 40 mg daily.
            Home: 14 Elm Street, Springfield, MA 01103. Phone (413) 555-0142, fax (413) 555-0143.
            PCP e-mail: r.gupta@springfieldclinic.org. Portal: https://portal.springfieldclinic.org/p/77812.
            Follow up on 3/28 with cardiology. Pain 3/10 at discharge, strength 5/5 throughout.
            """
        XCTAssertEqual(detectedSpans(note), [
            "MEDICALRECORD:00482913",
            "DATE:04/12/1931",
            "DATE:2021-03-14",
            "DATE:March 19, 2021",
            "AGE:92",
            "ZIP:01103",
            "PHONE:(413) 555-0142",
            "FAX:(413) 555-0143",
            "EMAIL:r.gupta@springfieldclinic.org",
            "URL:https://portal.springfieldclinic.org/p/77812",
            "DATE:3/28",
        ])
    }

    func testSubsetOfKinds() {
        let text = "Seen 03/14/2021, call 617-555-0199."
        XCTAssertEqual(detectedSpans(text, [.phone]), ["PHONE:617-555-0199"])
        XCTAssertEqual(detectedSpans(text, [.date]), ["DATE:03/14/2021"])
        XCTAssertEqual(detectedSpans(text, []), [])
    }

    func testParseKindList() throws {
        XCTAssertEqual(try SpanDetector.Kind.parseList("date, phone,medical-record"), [.date, .phone, .medicalRecord])
        XCTAssertEqual(try SpanDetector.Kind.parseList("all"), Set(SpanDetector.Kind.allCases))
        XCTAssertEqual(try SpanDetector.Kind.parseList("none"), [])
        XCTAssertThrowsError(try SpanDetector.Kind.parseList("date,passport")) { error in
            XCTAssertTrue("\(error)".contains("unknown detector \"passport\""), "\(error)")
        }
    }

    func testSpansAreTaggedAsDetectorSource() {
        let spans = SpanDetector().detect(in: "SSN 123-45-6789")
        XCTAssertEqual(spans, [SensitiveSpan(start: 4, end: 15, label: "SSN", source: .detector)])
    }
}
