import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The attacks against a tiny GPT-2 that memorized its notes (record numbers as digit canaries), and against the
/// same model untrained.
final class AttackAuditTests: XCTestCase {
    /// Notes of the corpus's kind with other names and record numbers.
    static func heldOutNotes(at url: URL) throws {
        let names = ["Gil Moss", "Hu Lin", "Ivo Sand", "Jo Paik"]
        let records: [[String: Any]] = names.enumerated().map { i, name in
            ["text": "Patient \(name) seen today, MRN \(5_300_000 + i * 6_007). Stable, follow up in two weeks.",
             "subject": "h\(i)"]
        }
        try MethodTestSupport.writeJSONL(records, to: url)
    }

    /// A fine-tune that makes the tiny model learn the small corpus by heart.
    static func memorizingTune() -> FineTuner.Options {
        var tune = FineTuner.Options()
        tune.epochs = 150
        tune.learningRate = 1e-2
        tune.batchSize = 4
        tune.sequenceLength = 32
        tune.warmupSteps = 5
        return tune
    }

    /// The small corpus and its held-out notes in `dir`, prepared for `model` (k-anonymity off).
    static func work(model: URL, dir: URL) throws -> PreparedWork {
        let corpusURL = dir.appendingPathComponent("c.jsonl"), heldOutURL = dir.appendingPathComponent("h.jsonl")
        try MethodTestSupport.smallCorpus(at: corpusURL)
        try Self.heldOutNotes(at: heldOutURL)
        var options = SanitizationOptions()
        options.kAnonymity = 0
        return try PreparedWork(inputs: SanitizationInputs(model: model, corpus: corpusURL, heldOut: heldOutURL, output: dir),
                                options: options)
    }

    func attackSettings() -> AuditSettings {
        var settings = AuditSettings()
        settings.contextLength = 128
        var attacks = AttackSettings()
        attacks.relearnSteps = 3
        attacks.relearnBatchSize = 2
        attacks.relearnSequenceLength = 32
        settings.attacks = attacks
        return settings
    }

    func testAMemorizingModelIsExposedAndItsRecordsAreRecognised() throws {
        let folder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 48, seed: 4)
        let dir = try MethodTestSupport.temporaryFolder()
        try MethodTestSupport.smallCorpus(at: dir.appendingPathComponent("c.jsonl"))
        let trained = dir.appendingPathComponent("trained")
        try FineTuner(options: Self.memorizingTune()).run(modelFolder: folder, corpus: dir.appendingPathComponent("c.jsonl"), output: trained)

        let memorizing = try Self.work(model: trained, dir: dir)
        let report = try Auditor(model: memorizing.model, tokenizer: memorizing.tokenizer, settings: attackSettings())
            .audit(stage: "before", memorized: memorizing.train, heldOut: memorizing.heldOut)
        let exposure = try XCTUnwrap(report.exposure)
        XCTAssertEqual(exposure.candidates, 100)
        XCTAssertEqual(exposure.maxExposure, log2(101), accuracy: 1e-12)
        // Only the record numbers have the shape of digits.
        XCTAssertEqual(Set(exposure.byLabel.keys), ["MEDICALRECORD"])
        XCTAssertEqual(exposure.spans, 6)
        XCTAssertGreaterThan(try XCTUnwrap(exposure.byLabel["MEDICALRECORD"]).mean, 5)
        let membership = try XCTUnwrap(report.membership)
        XCTAssertEqual(membership.members, 6)
        XCTAssertEqual(membership.nonMembers, 4)
        XCTAssertEqual(membership.k, 0.2)
        XCTAssertGreaterThan(membership.lossAUC, 0.5)
        XCTAssertGreaterThan(membership.minKAUC, 0.5)
        let byPrefix = try XCTUnwrap(report.spanExtractionByPrefix)
        XCTAssertEqual(Set(byPrefix.keys), ["8", "32", "all"])
        XCTAssertEqual(byPrefix["32"], report.spanExtraction)
        XCTAssertTrue(byPrefix.values.allSatisfy { $0.total == report.spanExtraction.total })
        XCTAssertGreaterThan(try XCTUnwrap(byPrefix["all"]).rate, 0.5)
        let relearned = try XCTUnwrap(report.relearned)
        XCTAssertEqual(relearned.steps, 3)
        XCTAssertEqual(relearned.spanExtraction.total, report.spanExtraction.total)

        // The same model before it learned anything: the true record number ranks anywhere among the candidates.
        let untrained = try Self.work(model: folder, dir: dir)
        let chance = try Auditor(model: untrained.model, tokenizer: untrained.tokenizer, settings: attackSettings())
            .audit(stage: "before", memorized: untrained.train, heldOut: untrained.heldOut)
        let chanceExposure = try XCTUnwrap(chance.exposure)
        XCTAssertEqual(chanceExposure.spans, 6)
        XCTAssertLessThan(chanceExposure.mean, 4)
        XCTAssertLessThan(chanceExposure.mean, exposure.mean - 2)
    }

    func testWithoutHeldOutNotesMembershipAndRelearningAreNotMeasured() throws {
        let folder = try MethodTestSupport.tinyModelFolder(layers: 1, channels: 32, seed: 2)
        let dir = try MethodTestSupport.temporaryFolder()
        let work = try Self.work(model: folder, dir: dir)
        let report = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: attackSettings())
            .audit(stage: "t", memorized: work.train, heldOut: nil)
        XCTAssertNil(report.membership)
        XCTAssertNil(report.relearned)
        XCTAssertNotNil(report.exposure)
        XCTAssertNotNil(report.spanExtractionByPrefix)
        // Without attack settings nothing is measured.
        let plain = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: AuditSettings())
            .audit(stage: "t", memorized: work.train, heldOut: work.heldOut)
        XCTAssertNil(plain.membership)
        XCTAssertNil(plain.exposure)
        XCTAssertNil(plain.spanExtractionByPrefix)
        XCTAssertNil(plain.relearned)
        XCTAssertEqual(plain.spanExtraction, report.spanExtraction)
        XCTAssertEqual(plain.tokenRegurgitation, report.tokenRegurgitation)
    }
}
