import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The sanitizer runs the attacks in its before and after audits (the after one on the kept weights, afresh) and
/// keeps its per-epoch audits cheap.
final class SanitizerAttackTests: XCTestCase {
    func run(attacks: Bool) throws -> SanitizationReport {
        let model = try MethodTestSupport.tinyModelFolder(layers: 1, channels: 32, seed: 6)
        let dir = try MethodTestSupport.temporaryFolder()
        let corpus = dir.appendingPathComponent("c.jsonl"), heldOut = dir.appendingPathComponent("h.jsonl")
        try MethodTestSupport.smallCorpus(at: corpus)
        try AttackAuditTests.heldOutNotes(at: heldOut)
        var o = SanitizationOptions()
        o.kAnonymity = 0
        o.epochs = 1
        o.sequenceLength = 32
        o.auditAttacks = attacks
        o.relearnSteps = 2
        o.exposureCandidates = 10
        o.finalAuditSamples = 2
        return try Sanitizer(inputs: SanitizationInputs(model: model, corpus: corpus, heldOut: heldOut,
                                                        output: dir.appendingPathComponent("out")), options: o).run()
    }

    func testBeforeAndAfterCarryTheAttacksAndEpochsDoNot() throws {
        let report = try run(attacks: true)
        for audit in [report.before, report.after] {
            XCTAssertNotNil(audit.membership, audit.stage)
            XCTAssertEqual(audit.exposure?.candidates, 10, audit.stage)
            XCTAssertEqual(audit.relearned?.steps, 2, audit.stage)
            XCTAssertEqual(audit.spanExtractionByPrefix.map { Set($0.keys) }, ["8", "32", "all"], audit.stage)
            XCTAssertNotNil(audit.sampledExtraction, audit.stage)
        }
        XCTAssertEqual(report.after.stage, "after")
        let kept = try XCTUnwrap(report.epochs.first)
        XCTAssertNil(kept.membership)
        XCTAssertNil(kept.exposure)
        XCTAssertNil(kept.sampledExtraction)
        // The fresh audit of the kept weights gives the kept epoch's greedy figures.
        XCTAssertEqual(report.after.spanExtraction, kept.spanExtraction)
        XCTAssertEqual(report.after.tokenRegurgitation, kept.tokenRegurgitation)
        XCTAssertEqual(report.after.trainingLoss, kept.trainingLoss)
        // Every phase's wall time is in the report (scripts/method_table.py prints them), within the whole run's.
        let training = try XCTUnwrap(kept.trainingSeconds)
        let preparation = try XCTUnwrap(report.preparationSeconds)
        XCTAssertGreaterThan(training, 0)
        XCTAssertGreaterThan(preparation, 0)
        XCTAssertLessThan(preparation + report.before.seconds + training + kept.seconds + report.after.seconds,
                          report.seconds + 0.001)
        XCTAssertNil(report.before.trainingSeconds)
        let decoded = try JSONDecoder().decode(SanitizationReport.self, from: try ReportJSON.encoder().encode(report))
        XCTAssertEqual(decoded.after.exposure, report.after.exposure)
        XCTAssertEqual(decoded.epochs.first?.trainingSeconds, training)
        XCTAssertEqual(decoded.preparationSeconds, preparation)
    }

    func testWithoutAttacksTheAfterAuditIsTheKeptEpochs() throws {
        let report = try run(attacks: false)
        XCTAssertNil(report.before.membership)
        XCTAssertNil(report.before.exposure)
        XCTAssertNil(report.after.relearned)
        var kept = try XCTUnwrap(report.epochs.first)
        kept.stage = "after"
        XCTAssertEqual(report.after, kept)
    }
}
