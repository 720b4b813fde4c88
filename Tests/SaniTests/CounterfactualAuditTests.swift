import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The audit against what a model that never saw the identifiers does: membership of the identifiers alone,
/// span extraction beyond a reference model, and the fine-tune that never learns a sensitive token.
final class CounterfactualAuditTests: XCTestCase {
    func settings() -> AuditSettings {
        var settings = AuditSettings()
        settings.contextLength = 128
        var attacks = AttackSettings()
        attacks.relearnSteps = 0
        attacks.exposureCandidates = 0
        settings.attacks = attacks
        return settings
    }

    func audit(_ work: PreparedWork, reference: (any LanguageModel)? = nil) throws -> AuditReport {
        try Auditor(model: work.model, tokenizer: work.tokenizer, settings: settings(), reference: reference)
            .audit(stage: "t", memorized: work.train, heldOut: work.heldOut)
    }

    func testReferenceExtractionAndIdentifierMembershipSeparateMemoryFromChance() throws {
        let untrainedFolder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 48, seed: 4)
        let dir = try MethodTestSupport.temporaryFolder()
        try MethodTestSupport.smallCorpus(at: dir.appendingPathComponent("c.jsonl"))
        let trained = dir.appendingPathComponent("trained")
        try FineTuner(options: AttackAuditTests.memorizingTune()).run(modelFolder: untrainedFolder, corpus: dir.appendingPathComponent("c.jsonl"),
                                                  output: trained)
        let memorizing = try AttackAuditTests.work(model: trained, dir: dir)
        let untrained = try AttackAuditTests.work(model: untrainedFolder, dir: dir)

        // Against a model that knows nothing, every extracted span is beyond the reference.
        let report = try audit(memorizing, reference: untrained.model)
        let beyond = try XCTUnwrap(report.beyondReference)
        XCTAssertGreaterThan(report.spanExtraction.count, 0)
        XCTAssertEqual(beyond.referenceExtraction.count, 0)
        XCTAssertEqual(beyond.spanExtraction, report.spanExtraction)
        XCTAssertEqual(beyond.spanExtractionByLabel, report.spanExtractionByLabel)

        // Against itself, nothing is: the reference reproduces exactly what the model does.
        let itself = try LanguageModelLoader.load(folder: trained)
        let selfReport = try audit(memorizing, reference: itself)
        let selfBeyond = try XCTUnwrap(selfReport.beyondReference)
        XCTAssertEqual(selfBeyond.spanExtraction.count, 0)
        XCTAssertEqual(selfBeyond.spanExtraction.total, report.spanExtraction.total)
        XCTAssertEqual(selfBeyond.referenceExtraction, report.spanExtraction)
        // The reference changes no other figure.
        XCTAssertEqual(selfReport.spanExtraction, report.spanExtraction)
        XCTAssertEqual(selfReport.tokenRegurgitation, report.tokenRegurgitation)
        XCTAssertNil(try audit(memorizing).beyondReference)
        XCTAssertNil(beyond.sampledExtraction, "no sampling, no sampled figure")

        // Sampled extraction beyond the reference: the reference samples the same prompts with the same seeds, so
        // against itself it reproduces every sampled hit, and nothing is beyond it.
        var sampling = settings()
        sampling.samples = 3
        sampling.temperature = 1.5
        let sampledSelf = try Auditor(model: memorizing.model, tokenizer: memorizing.tokenizer, settings: sampling,
                                      reference: itself).audit(stage: "t", memorized: memorizing.train, heldOut: nil)
        let sampledSelfBeyond = try XCTUnwrap(sampledSelf.beyondReference)
        XCTAssertEqual(try XCTUnwrap(sampledSelfBeyond.referenceSampledExtraction), try XCTUnwrap(sampledSelf.sampledExtraction))
        XCTAssertEqual(try XCTUnwrap(sampledSelfBeyond.sampledExtraction).count, 0)
        XCTAssertGreaterThan(try XCTUnwrap(sampledSelf.sampledExtraction).count, report.spanExtraction.count,
                             "sampling reproduces spans the greedy attempt misses")
        // Against the untrained model: every greedy hit is beyond it, and the beyond figure is the model's own
        // sampled figure less what the reference also samples.
        let sampledUntrained = try Auditor(model: memorizing.model, tokenizer: memorizing.tokenizer, settings: sampling,
                                           reference: untrained.model).audit(stage: "t", memorized: memorizing.train, heldOut: nil)
        let untrainedBeyond = try XCTUnwrap(sampledUntrained.beyondReference)
        let sampledBeyond = try XCTUnwrap(untrainedBeyond.sampledExtraction)
        XCTAssertEqual(sampledUntrained.sampledExtraction, sampledSelf.sampledExtraction)
        XCTAssertGreaterThanOrEqual(sampledBeyond.count, report.spanExtraction.count)
        XCTAssertLessThanOrEqual(sampledBeyond.count, try XCTUnwrap(sampledUntrained.sampledExtraction).count)
        XCTAssertGreaterThanOrEqual(sampledBeyond.count + (untrainedBeyond.referenceSampledExtraction?.count ?? 0),
                                    try XCTUnwrap(sampledUntrained.sampledExtraction).count)
        // The relearning attack beyond the reference: the reference is relearned the same way, so against itself
        // it reproduces every relearned hit; against the untrained model, what it extracts is beyond it.
        var relearning = settings()
        relearning.attacks?.relearnSteps = 3
        func relearned(against reference: any LanguageModel) throws -> RelearningFigure {
            let report = try Auditor(model: memorizing.model, tokenizer: memorizing.tokenizer, settings: relearning,
                                     reference: reference)
                .audit(stage: "t", memorized: memorizing.train, heldOut: memorizing.heldOut)
            return try XCTUnwrap(report.relearned)
        }
        let relearnedSelf = try relearned(against: itself)
        let relearnedSelfBeyond = try XCTUnwrap(relearnedSelf.beyondReference)
        XCTAssertGreaterThan(relearnedSelf.spanExtraction.count, 0)
        XCTAssertEqual(relearnedSelfBeyond.referenceExtraction, relearnedSelf.spanExtraction)
        XCTAssertEqual(relearnedSelfBeyond.spanExtraction.count, 0)
        let relearnedUntrained = try relearned(against: untrained.model)
        XCTAssertEqual(relearnedUntrained.spanExtraction, relearnedSelf.spanExtraction,
                       "the reference's relearning leaves the audited model's alone")
        let relearnedBeyond = try XCTUnwrap(relearnedUntrained.beyondReference)
        XCTAssertEqual(relearnedBeyond.spanExtraction.total, relearnedUntrained.spanExtraction.total)
        XCTAssertLessThanOrEqual(relearnedBeyond.spanExtraction.count, relearnedUntrained.spanExtraction.count)
        XCTAssertGreaterThanOrEqual(relearnedBeyond.spanExtraction.count + relearnedBeyond.referenceExtraction.count,
                                    relearnedUntrained.spanExtraction.count)
        XCTAssertGreaterThan(relearnedBeyond.spanExtraction.count, 0)
        // Without the reference attacks, neither is read beyond the reference (greedy extraction still is).
        var plain = relearning
        plain.samples = 2
        plain.attacks?.againstReference = false
        let plainReport = try Auditor(model: memorizing.model, tokenizer: memorizing.tokenizer, settings: plain,
                                      reference: untrained.model)
            .audit(stage: "t", memorized: memorizing.train, heldOut: memorizing.heldOut)
        XCTAssertNil(try XCTUnwrap(plainReport.relearned).beyondReference)
        XCTAssertNil(try XCTUnwrap(plainReport.beyondReference).sampledExtraction)
        XCTAssertEqual(try XCTUnwrap(plainReport.relearned).spanExtraction, relearnedUntrained.spanExtraction)
        // The reference model's own parameters are back as they were.
        let untrainedAgain = try AttackAuditTests.work(model: untrainedFolder, dir: dir)
        XCTAssertEqual(untrained.model.parameters.values.array, untrainedAgain.model.parameters.values.array)

        // The reference attack: against an untrained reference the memorized notes stand out as much as by their
        // loss; against itself every calibrated score is 0, chance.
        XCTAssertGreaterThan(try XCTUnwrap(report.membership?.referenceLossAUC), 0.9)
        XCTAssertEqual(try XCTUnwrap(selfReport.membership?.referenceLossAUC), 0.5)
        XCTAssertNil(try audit(memorizing).membership?.referenceLossAUC)

        // Identifier membership: every training note carries a name and a record number, every held-out note too.
        let identifiers = try XCTUnwrap(report.membership?.identifiers)
        XCTAssertEqual(identifiers.members, 6)
        XCTAssertEqual(identifiers.nonMembers, 4)
        XCTAssertGreaterThan(identifiers.lossAUC, 0.9)
        let chance = try XCTUnwrap(try audit(untrained).membership?.identifiers)
        XCTAssertLessThan(chance.lossAUC, identifiers.lossAUC)
    }

    func testAFineTuneThatNeverLearnsTheIdentifiersDoesNotRegurgitateThem() throws {
        let untrainedFolder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 48, seed: 4)
        let dir = try MethodTestSupport.temporaryFolder()
        let corpus = dir.appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpus)
        let taught = dir.appendingPathComponent("taught"), neverTaught = dir.appendingPathComponent("never")
        try FineTuner(options: AttackAuditTests.memorizingTune()).run(modelFolder: untrainedFolder, corpus: corpus, output: taught)
        var options = AttackAuditTests.memorizingTune()
        options.neverLearn = BlacklistBuilder.Options(useAnnotations: true, detectors: [])
        let losses = try FineTuner(options: options).run(modelFolder: untrainedFolder, corpus: corpus, output: neverTaught)
        XCTAssertLessThan(try XCTUnwrap(losses.last), try XCTUnwrap(losses.first))

        let before = try audit(try AttackAuditTests.work(model: taught, dir: dir))
        let counterfactual = try audit(try AttackAuditTests.work(model: neverTaught, dir: dir))
        // The ordinary fine-tune regurgitates its identifiers; the one that never learned them does not, though
        // it learned the rest of the notes as well.
        XCTAssertGreaterThan(before.tokenRegurgitation.rate, 0.5)
        XCTAssertGreaterThan(before.spanExtractionByLabel["MEDICALRECORD"]?.count ?? 0, 3)
        XCTAssertEqual(counterfactual.spanExtractionByLabel["MEDICALRECORD"]?.count ?? 0, 0)
        XCTAssertLessThan(counterfactual.tokenRegurgitation.rate, before.tokenRegurgitation.rate - 0.3)
        // Identifier membership is not a figure such a model brings to chance: the training names and record
        // numbers were read as inputs (their embedding rows trained), the held-out ones never were.
        print("identifier membership AUC: taught \(before.membership?.identifiers?.lossAUC ?? -1), never taught \(counterfactual.membership?.identifiers?.lossAUC ?? -1)")
    }
}
