import Foundation
import XCTest
@testable import Sani

/// The report's attack fields are optional: a report with them round-trips, one written before them decodes.
final class AuditReportCodingTests: XCTestCase {
    func baseReport() -> AuditReport {
        AuditReport(stage: "after", tokenRegurgitation: RateFigure(count: 3, total: 10),
                    tokenRegurgitationByLabel: ["DATE": RateFigure(count: 3, total: 10)],
                    spanExtraction: RateFigure(count: 1, total: 4), spanExtractionByLabel: ["DATE": RateFigure(count: 1, total: 4)],
                    sampledExtraction: nil,
                    utility: UtilityFigure(perplexity: 12.5, accuracy: 0.4, positions: 100, split: "held-out"),
                    examples: nil, seconds: 1.5, trainingLoss: 2.25)
    }

    func testAReportWithAttacksRoundTrips() throws {
        var report = baseReport()
        report.membership = MembershipFigure(lossAUC: 0.75, minKAUC: 0.625, k: 0.2, members: 8, nonMembers: 4)
        report.spanExtractionByPrefix = ["8": RateFigure(count: 0, total: 4), "32": RateFigure(count: 1, total: 4),
                                         "all": RateFigure(count: 2, total: 4)]
        report.exposure = ExposureFigure(candidates: 100, maxExposure: log2(101), mean: 3.5, spans: 2,
                                         byLabel: ["DATE": LabelExposure(mean: 3.5, spans: 2)])
        report.relearned = RelearningFigure(steps: 20, learningRate: 1e-4, spanExtraction: RateFigure(count: 2, total: 4),
                                            spanExtractionByLabel: ["DATE": RateFigure(count: 2, total: 4)])
        let data = try ReportJSON.encoder().encode(report)
        let decoded = try JSONDecoder().decode(AuditReport.self, from: data)
        XCTAssertEqual(decoded, report)
        XCTAssertNotEqual(decoded, baseReport())
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertNotNil(object["membership"])
        XCTAssertNotNil((object["spanExtractionByPrefix"] as? [String: Any])?["all"])
    }

    func testAReportWrittenBeforeTheAttacksStillDecodes() throws {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: try ReportJSON.encoder().encode(baseReport())) as? [String: Any])
        for key in ["membership", "spanExtractionByPrefix", "exposure", "relearned"] { object[key] = nil }
        let decoded = try JSONDecoder().decode(AuditReport.self, from: try JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(decoded, baseReport())
        XCTAssertNil(decoded.membership)
        XCTAssertNil(decoded.exposure)
        XCTAssertNil(decoded.relearned)
        XCTAssertNil(decoded.spanExtractionByPrefix)
    }

    func testAttackOptionsDecodeAndUnknownOnesAreRejected() throws {
        let json = #"{"auditAttacks": false, "relearnSteps": 5, "relearnLearningRate": 0.001, "exposureCandidates": 50, "finalAuditSamples": 2}"#
        let options = try JSONDecoder().decode(SanitizationOptions.self, from: Data(json.utf8))
        XCTAssertFalse(options.auditAttacks)
        XCTAssertEqual(options.relearnSteps, 5)
        XCTAssertEqual(options.relearnLearningRate, 0.001)
        XCTAssertEqual(options.exposureCandidates, 50)
        XCTAssertEqual(options.finalAuditSamples, 2)
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"relearnStep": 5}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"relearnSteps": -1}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"finalAuditSamples": 101}"#.utf8)))
        let defaults = SanitizationOptions()
        let settings = PreparedWork.finalAuditSettings(defaults)
        XCTAssertEqual(settings.samples, 8)
        XCTAssertEqual(settings.attacks?.exposureCandidates, 100)
        XCTAssertNil(PreparedWork.auditSettings(defaults).attacks)
        var off = defaults
        off.auditAttacks = false
        XCTAssertNil(PreparedWork.finalAuditSettings(off).attacks)
    }
}
