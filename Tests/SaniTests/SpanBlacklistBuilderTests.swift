import Foundation
import XCTest
@testable import Sani

final class SpanBlacklistBuilderTests: XCTestCase {
    private let corpus = Corpus(records: [
        CorpusRecord(
            text: "Alice Durand (MRN 00482913) admitted 03/14/2021 to Mercy Hospital.",
            subject: "p1", annotations: [SensitiveSpan(start: 0, end: 12, label: "PATIENT", source: .annotation)]),
        CorpusRecord(text: "Bob Kline admitted 2021-04-02 to Mercy Hospital.", subject: "p2"),
        CorpusRecord(text: "Durand seen again, admitted for review.", subject: "p1"),
    ])

    func testAllSourcesCombined() throws {
        let terms = TermList(entries: [.init(term: "Mercy Hospital", label: "HOSPITAL"), .init(term: "Alice Durand", label: "PATIENT")])
        let options = BlacklistBuilder.Options(terms: terms, kAnonymity: KAnonymityDetector(k: 2))
        let blacklist = try BlacklistBuilder(options: options).build(for: corpus)
        let first = blacklist.spans[0].map { "\($0.label)/\($0.source.rawValue):\($0.text(in: corpus.records[0].text))" }
        XCTAssertEqual(first, [
            "INDIRECT/kAnonymity:Alice",
            "PATIENT/annotation:Alice Durand",
            "INDIRECT/kAnonymity:Durand",
            "INDIRECT/kAnonymity:MRN",
            "MEDICALRECORD/detector:00482913",
            "DATE/detector:03/14/2021",
            "HOSPITAL/term:Mercy Hospital",
        ])
        XCTAssertEqual(blacklist.countsByLabel["HOSPITAL"], 2)
        XCTAssertEqual(blacklist.countsByLabel["DATE"], 2)
        XCTAssertEqual(blacklist.countsBySource[.annotation], 1)
        XCTAssertEqual(blacklist.totalSpans, blacklist.spans.map(\.count).reduce(0, +))
        XCTAssertEqual(blacklist.countsByLabel.values.reduce(0, +), blacklist.totalSpans)
    }

    func testSourcesCanBeTurnedOff() throws {
        let options = BlacklistBuilder.Options(useAnnotations: false, detectors: [.date])
        let blacklist = try BlacklistBuilder(options: options).build(for: corpus)
        XCTAssertEqual(blacklist.spans.map { $0.map(\.label) }, [["DATE"], ["DATE"], []])
        XCTAssertEqual(blacklist.countsBySource, [.detector: 2])
        XCTAssertEqual(blacklist.sensitiveCharacters, 20)
    }

    func testBlacklistEncodesCountsAsJSONObjects() throws {
        let blacklist = try BlacklistBuilder(options: .init(detectors: [.date])).build(for: corpus)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(blacklist), as: UTF8.self)
        XCTAssertTrue(json.contains(#""countsBySource":{"annotation":1,"detector":2}"#), json)
        XCTAssertEqual(try JSONDecoder().decode(Blacklist.self, from: Data(json.utf8)), blacklist)
    }

    func testRecommendedOptionsUseKAnonymityOnlyWithSubjects() {
        XCTAssertNotNil(BlacklistBuilder.Options.recommended(for: corpus).kAnonymity)
        XCTAssertNil(BlacklistBuilder.Options.recommended(for: Corpus(records: [CorpusRecord(text: "x")])).kAnonymity)
    }

    func testInvalidKIsRefused() {
        let options = BlacklistBuilder.Options(kAnonymity: KAnonymityDetector(k: 0))
        XCTAssertThrowsError(try BlacklistBuilder(options: options).build(for: corpus)) { error in
            guard case SaniError.invalidArgument = error else { return XCTFail("\(error)") }
        }
    }

    func testAnnotatingMovesSpansWithTheirRecordsThroughASplit() throws {
        let blacklist = try BlacklistBuilder(options: .init(detectors: [.date])).build(for: corpus)
        let annotated = try blacklist.annotating(corpus)
        XCTAssertEqual(annotated.records.map(\.annotations), blacklist.spans)
        let (train, heldOut) = annotated.split(heldOutFraction: 0.3, seed: 1)
        for record in train.records + heldOut.records {
            let index = try XCTUnwrap(corpus.records.firstIndex { $0.text == record.text })
            XCTAssertEqual(record.annotations, blacklist.spans[index])
        }
        XCTAssertThrowsError(try blacklist.annotating(Corpus(records: [])))
    }
}
