import XCTest
@testable import Sani

final class SpanMergerTests: XCTestCase {
    private func span(_ start: Int, _ end: Int, _ label: String, _ source: SpanSource = .detector) -> SensitiveSpan {
        SensitiveSpan(start: start, end: end, label: label, source: source)
    }

    func testSameLabelOverlappingOrTouchingSpansMerge() {
        let merged = SpanMerger.merge([
            span(10, 14, "PATIENT", .kAnonymity), span(0, 4, "PATIENT", .term), span(3, 8, "PATIENT", .kAnonymity),
            span(8, 9, "PATIENT", .annotation), span(20, 25, "PATIENT", .term),
        ])
        XCTAssertEqual(merged, [span(0, 9, "PATIENT", .annotation), span(10, 14, "PATIENT", .kAnonymity), span(20, 25, "PATIENT", .term)])
    }

    func testDifferentLabelsAreKeptAndDuplicatesDropped() {
        let merged = SpanMerger.merge([
            span(5, 15, "DATE"), span(0, 10, "PATIENT", .annotation), span(0, 10, "PATIENT", .term),
            span(5, 15, "DATE"), span(7, 7, "EMPTY"),
        ])
        XCTAssertEqual(merged, [span(0, 10, "PATIENT", .annotation), span(5, 15, "DATE")])
    }
}
