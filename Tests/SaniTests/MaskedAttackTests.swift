import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The attacks against a masked model: membership inference from the records' masked-token log-probabilities,
/// the relearning attack with the masked-LM loss, and span filling read beyond a reference model.
final class MaskedAttackTests: XCTestCase {
    /// A 1-block BERT trained from scratch on 16 demo notes until it fills in their identifiers, with 8 held-out
    /// notes about other patients; the folder of the trained model and the prepared work.
    static func memorizingBert() throws -> (work: PreparedWork, trained: URL, dir: URL) {
        let dir = try MethodTestSupport.temporaryFolder("sani-bert-attacks")
        let corpusURL = dir.appendingPathComponent("notes.jsonl")
        let heldOutURL = dir.appendingPathComponent("held-out.jsonl")
        let notes = DemoCorpusGenerator(seed: 5).generate(records: 16, heldOutRecords: 8)
        try JSONLCorpusWriter().data(for: notes.train).write(to: corpusURL)
        try JSONLCorpusWriter().data(for: notes.heldOut).write(to: heldOutURL)
        let base = try BertTestSupport.tinyModelFolder(corpus: try Corpus.load(url: corpusURL), layers: 1, hidden: 64,
                                                       heads: 4, intermediate: 256, positions: 256, seed: 3)
        defer { try? FileManager.default.removeItem(at: base) }
        let trained = dir.appendingPathComponent("trained")
        var tune = FineTuner.Options()
        tune.fromScratch = true
        tune.epochs = 300
        tune.learningRate = 3e-3
        tune.batchSize = 8
        tune.sequenceLength = 96
        tune.seed = 5
        _ = try FineTuner(options: tune).run(modelFolder: base, corpus: corpusURL, output: trained)
        var options = SanitizationOptions()
        options.kAnonymity = 0
        options.sequenceLength = 96
        let work = try PreparedWork(inputs: SanitizationInputs(model: trained, corpus: corpusURL, heldOut: heldOutURL,
                                                               output: dir), options: options)
        return (work, trained, dir)
    }

    static func settings(samples: Int = 2, relearnLearningRate: Double = 1e-3) -> AuditSettings {
        var settings = AuditSettings()
        settings.maskedWindow = 96
        settings.samples = samples
        settings.seed = 7
        var attacks = AttackSettings()
        attacks.relearnSteps = 3
        attacks.relearnBatchSize = 4
        attacks.relearnSequenceLength = 96
        attacks.relearnLearningRate = relearnLearningRate
        settings.attacks = attacks
        return settings
    }

    func testAMemorizingBertIsRecognisedAndItsAttacksReadAgainstItselfFindNothingBeyond() throws {
        let (work, trained, dir) = try Self.memorizingBert()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(work.model.objective, .masked)
        let weights = work.model.parameters.values.clone()
        // The reference is the same weights, loaded again: nothing can be beyond it, and the calibrated scores tie.
        let reference = try Sanitizer.loadBase(trained, like: work.model)
        let report = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: Self.settings(),
                                 reference: reference)
            .audit(stage: "before", memorized: work.train, heldOut: work.heldOut)

        XCTAssertGreaterThan(report.spanExtraction.rate, 0.2, "the model fills in its notes' identifiers")
        let membership = try XCTUnwrap(report.membership)
        XCTAssertEqual(membership.members, 16)
        XCTAssertEqual(membership.nonMembers, 8)
        XCTAssertGreaterThan(membership.lossAUC, 0.8, "its own notes are more familiar than held-out ones")
        XCTAssertGreaterThan(membership.minKAUC, 0.5)
        XCTAssertNotNil(membership.identifiers)
        XCTAssertEqual(try XCTUnwrap(membership.referenceLossAUC), 0.5, "against itself every calibrated score is 0")

        let beyond = try XCTUnwrap(report.beyondReference)
        XCTAssertEqual(beyond.spanExtraction.count, 0)
        XCTAssertEqual(beyond.spanExtraction.total, report.spanExtraction.total)
        XCTAssertEqual(beyond.referenceExtraction, report.spanExtraction)
        XCTAssertEqual(try XCTUnwrap(beyond.sampledExtraction).count, 0)
        XCTAssertEqual(beyond.referenceSampledExtraction, report.sampledExtraction)

        let relearned = try XCTUnwrap(report.relearned)
        XCTAssertEqual(relearned.steps, 3)
        XCTAssertEqual(relearned.spanExtraction.total, report.spanExtraction.total)
        let relearnedBeyond = try XCTUnwrap(relearned.beyondReference)
        XCTAssertEqual(relearnedBeyond.spanExtraction.count, 0)
        XCTAssertEqual(relearnedBeyond.referenceExtraction, relearned.spanExtraction,
                       "the reference relearned the same way fills in the same spans")
        // Causal-only figures stay empty.
        XCTAssertNil(report.exposure)
        XCTAssertNil(report.spanExtractionByPrefix)
        // The relearning attack put both models' weights back exactly.
        XCTAssertEqual(work.model.parameters.values.array, weights.array)
        XCTAssertEqual(reference.parameters.values.array, weights.array)

        // The attacks leave the ordinary figures as an audit without them reads them.
        var plainSettings = Self.settings()
        plainSettings.attacks = nil
        let plain = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: plainSettings)
            .audit(stage: "before", memorized: work.train, heldOut: work.heldOut)
        XCTAssertNil(plain.membership)
        XCTAssertNil(plain.relearned)
        XCTAssertEqual(plain.tokenRegurgitation, report.tokenRegurgitation)
        XCTAssertEqual(plain.spanExtraction, report.spanExtraction)
        XCTAssertEqual(plain.sampledExtraction, report.sampledExtraction)
        XCTAssertEqual(plain.utility, report.utility)

        // A relearning attack that cannot move the weights (learning rate 0) fills in exactly what the model does.
        let still = try Auditor(model: work.model, tokenizer: work.tokenizer,
                                settings: Self.settings(samples: 0, relearnLearningRate: 0))
            .audit(stage: "before", memorized: work.train, heldOut: work.heldOut)
        let stillRelearned = try XCTUnwrap(still.relearned)
        XCTAssertEqual(stillRelearned.spanExtraction, still.spanExtraction)
        XCTAssertEqual(stillRelearned.spanExtractionByLabel, still.spanExtractionByLabel)
        // At a learning rate that moves it, the masked-LM fine-tune on other notes changes what it fills in.
        let moved = try Auditor(model: work.model, tokenizer: work.tokenizer,
                                settings: Self.settings(samples: 0, relearnLearningRate: 3e-2))
            .audit(stage: "before", memorized: work.train, heldOut: work.heldOut)
        XCTAssertNotEqual(try XCTUnwrap(moved.relearned).spanExtractionByLabel, moved.spanExtractionByLabel)
        XCTAssertEqual(work.model.parameters.values.array, weights.array)
    }

    func testAgainstAnUntrainedReferenceTheFiguresBeyondItAreBoundedByTheModelsOwn() throws {
        let (work, _, dir) = try Self.memorizingBert()
        defer { try? FileManager.default.removeItem(at: dir) }
        let untrained = try BertTestSupport.tinyModelFolder(corpus: try Corpus.load(url: dir.appendingPathComponent("notes.jsonl")),
                                                            layers: 1, hidden: 64, heads: 4, intermediate: 256,
                                                            positions: 256, seed: 9)
        defer { try? FileManager.default.removeItem(at: untrained) }
        let reference = try Sanitizer.loadBase(untrained, like: work.model)
        let report = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: Self.settings(),
                                 reference: reference)
            .audit(stage: "before", memorized: work.train, heldOut: work.heldOut)
        let beyond = try XCTUnwrap(report.beyondReference)
        XCTAssertLessThanOrEqual(beyond.spanExtraction.count, report.spanExtraction.count)
        XCTAssertGreaterThan(beyond.spanExtraction.count, 0, "an untrained model fills in none of what it memorized")
        XCTAssertLessThanOrEqual(try XCTUnwrap(beyond.sampledExtraction).count, try XCTUnwrap(report.sampledExtraction).count)
        let relearned = try XCTUnwrap(report.relearned)
        XCTAssertLessThanOrEqual(try XCTUnwrap(relearned.beyondReference).spanExtraction.count,
                                 relearned.spanExtraction.count)
        // The calibrated attack still recognises the memorized notes.
        XCTAssertGreaterThan(try XCTUnwrap(report.membership?.referenceLossAUC), 0.7)

        // Without held-out notes there is nothing to compare members with, and no notes to relearn on.
        let alone = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: Self.settings(),
                                reference: reference)
            .audit(stage: "before", memorized: work.train, heldOut: nil)
        XCTAssertNil(alone.membership)
        XCTAssertNil(alone.relearned)
        XCTAssertNil(alone.beyondReference)
    }
}
