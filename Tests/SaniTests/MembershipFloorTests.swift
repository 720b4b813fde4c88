import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The membership floor of the repair: which windows it leaves out, where its level comes from, and what it does
/// to the membership of the training notes on a small GPT-2 that memorized them.
final class MembershipFloorTests: XCTestCase {
    static let dir = try? MethodTestSupport.temporaryFolder("sani-floor")

    override class func tearDown() {
        if let dir { try? FileManager.default.removeItem(at: dir) }
        super.tearDown()
    }

    /// A 2-block GPT-2 trained from scratch on 32 general notes (the base), then fine-tuned on 24 hospital notes
    /// until it knows them (made once for the class), with 16 held-out notes and 16 calibration notes about other
    /// patients.
    func memorizingModel() throws -> (model: URL, corpus: URL, heldOut: URL, calibration: URL, base: URL) {
        let dir = try XCTUnwrap(Self.dir)
        let corpus = dir.appendingPathComponent("notes.jsonl"), heldOut = dir.appendingPathComponent("held-out.jsonl")
        let calibration = dir.appendingPathComponent("calibration.jsonl"), general = dir.appendingPathComponent("general.jsonl")
        let base = dir.appendingPathComponent("general"), folder = dir.appendingPathComponent("memorizing")
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) {
            let notes = DemoCorpusGenerator(seed: 31).generate(records: 24, heldOutRecords: 16)
            try JSONLCorpusWriter().data(for: notes.train).write(to: corpus)
            try JSONLCorpusWriter().data(for: notes.heldOut).write(to: heldOut)
            try JSONLCorpusWriter().data(for: DemoCorpusGenerator(seed: 32).generate(records: 16, heldOutRecords: 0).train)
                .write(to: calibration)
            try JSONLCorpusWriter().data(for: DemoCorpusGenerator(seed: 33).generate(records: 32, heldOutRecords: 0).train)
                .write(to: general)
            let fresh = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 64, heads: 4, positions: 256, seed: 31)
            try MethodTestSupport.train(fresh, on: general, into: base, epochs: 20, lr: 5e-3, scratch: true, seed: 31)
            try MethodTestSupport.train(base, on: corpus, into: folder, epochs: 25, lr: 2e-3, scratch: false, seed: 31)
        }
        return (folder, corpus, heldOut, calibration, base)
    }

    /// Both blocks erased in full, 3 repair epochs at 2e-3, the attacks' membership reading without the costly ones.
    static func fullEraseRepair() -> SanitizationOptions {
        var o = SanitizationOptions()
        o.auditAttacks = true
        o.relearnSteps = 0
        o.exposureCandidates = 0
        o.finalAuditSamples = 0
        o.eraseLayers = 2
        o.eraseFraction = 1
        o.epochs = 3
        o.learningRate = 2e-3
        o.batchSize = 8
        o.sequenceLength = 128
        o.auditPrefixTokens = 64
        o.seed = 4
        return o
    }

    /// The floor's first level is the mean loss of one batch of calibration windows, and exactly the repair
    /// windows whose own loss is below it lose their weights; the others keep theirs unchanged.
    func testTheFloorLeavesOutExactlyTheWindowsBelowTheCalibrationLoss() throws {
        let (model, corpus, _, calibration, _) = try memorizingModel()
        var o = SanitizationOptions()
        o.sequenceLength = 128
        o.batchSize = 4
        o.membershipFloor = true
        let work = try PreparedWork(inputs: SanitizationInputs(model: model, corpus: corpus,
                                                               output: try XCTUnwrap(Self.dir).appendingPathComponent("unused"),
                                                               calibration: calibration), options: o)
        let unseen = try XCTUnwrap(work.calibrationWindows)
        let floor = MembershipFloor(calibration: unseen, seed: 7)
        XCTAssertNil(floor.level)
        // One window's loss read independently: the training loss of a batch of that window alone.
        func loss(_ windows: TrainingWindows, _ index: Int) throws -> (loss: Double, weight: Float) {
            let b = windows.batch([index])
            work.model.parameters.ensureGradients()
            defer { work.model.parameters.dropGradients() }
            let value = try work.model.accumulateGradients(tokens: b.tokens, targets: b.targets, weights: b.weights,
                                                           batch: 1, length: windows.length)
            return (Double(value), b.weights.reduce(0, +))
        }
        let picked = Array(0..<4)
        var batch = work.windows.batch(picked)
        let original = batch.weights
        let kept = try floor.apply(to: &batch, windows: picked.count, length: work.windows.length, model: work.model,
                                   batchSize: 4)
        // The level: the calibration windows the floor read (its seeded order's first four), weighted by targets.
        let order = unseen.order(seed: 7 ^ 0xF1_0012)
        var sum = 0.0, weight = 0.0
        for i in order.prefix(4) { let r = try loss(unseen, i); sum += r.loss * Double(r.weight); weight += Double(r.weight) }
        let level = try XCTUnwrap(floor.level)
        XCTAssertEqual(level, sum / weight, accuracy: 1e-3 * level)
        var below = 0
        for (w, index) in picked.enumerated() {
            let own = try loss(work.windows, index).loss
            let range = (w * work.windows.length)..<((w + 1) * work.windows.length)
            if own < level {
                below += 1
                XCTAssertTrue(batch.weights[range].allSatisfy { $0 == 0 }, "window \(index) (loss \(own) < \(level)) left out")
            } else {
                XCTAssertEqual(Array(batch.weights[range]), Array(original[range]), "window \(index) kept as it was")
            }
        }
        XCTAssertGreaterThan(below, 0, "a model that knows its notes finds some of them easier than unseen ones")
        XCTAssertEqual(kept, picked.count - below)
        XCTAssertEqual(floor.skippedWindows, below)
        XCTAssertEqual(floor.trainedWindows, picked.count - below)
        XCTAssertEqual(batch.tokens, work.windows.batch(picked).tokens, "only weights change")
    }

    /// Without notes the model never saw the floor has nothing to read and is refused with a clear error.
    func testTheFloorNeedsNotesTheModelNeverSaw() throws {
        let (model, corpus, _, _, _) = try memorizingModel()
        var o = SanitizationOptions()
        o.sequenceLength = 128
        o.membershipFloor = true
        XCTAssertThrowsError(try PreparedWork(inputs: SanitizationInputs(
            model: model, corpus: corpus, output: try XCTUnwrap(Self.dir).appendingPathComponent("unused")), options: o)) {
            XCTAssertTrue("\($0)".contains("membershipFloor"), "\($0)")
        }
    }

    /// The same repair with and without the floor, after an erase that re-initialises every MLP neuron: the
    /// repair makes the training notes familiar again (membership AUC by loss above 0.6); with the floor they
    /// stay closer to notes the model never saw, and the windows it left out are in the report. What it costs
    /// in held-out perplexity is printed, not asserted (see the README's figures: it is not a default).
    func testTheFloorKeepsTheTrainingNotesFromBecomingMoreFamiliar() throws {
        let (model, corpus, heldOut, calibration, _) = try memorizingModel()
        func run(_ floor: Bool) throws -> SanitizationReport {
            var o = Self.fullEraseRepair()
            o.membershipFloor = floor
            let out = try XCTUnwrap(Self.dir).appendingPathComponent(floor ? "floor" : "plain")
            return try Sanitizer(inputs: SanitizationInputs(model: model, corpus: corpus, heldOut: heldOut, output: out,
                                                            calibration: calibration), options: o).run()
        }
        let plain = try run(false), floored = try run(true)
        let plainMIA = try XCTUnwrap(plain.after.membership?.lossAUC)
        let flooredMIA = try XCTUnwrap(floored.after.membership?.lossAUC)
        print(String(format: "membership AUC before %.3f; repair %.3f, with the floor %.3f; perplexity %.2f -> %.2f, %.2f",
                     plain.before.membership?.lossAUC ?? -1, plainMIA, flooredMIA, plain.before.utility.perplexity,
                     plain.after.utility.perplexity, floored.after.utility.perplexity))
        XCTAssertGreaterThan(plainMIA, 0.6, "the repair makes its notes familiar again")
        XCTAssertLessThan(flooredMIA, plainMIA - 0.1)
        let figures = floored.epochs.compactMap(\.membershipFloor)
        XCTAssertEqual(figures.count, floored.epochs.count)
        XCTAssertTrue(figures.contains { $0.skippedWindows > 0 }, "the floor left windows out")
        XCTAssertTrue(figures.allSatisfy { $0.level > 0 && $0.windows > 0 && $0.skippedWindows <= $0.windows })
        XCTAssertTrue(plain.epochs.allSatisfy { $0.membershipFloor == nil })
    }

    /// With `repairNotes` calibration the repair's windows are the calibration notes', framed and masked as the
    /// floor reads them (no loss on their sensitive targets); a run without calibration notes, or with the floor
    /// as well, is refused with a clear error.
    func testTheRepairNotesAreTheCalibrationNotesMasked() throws {
        let (model, corpus, heldOut, calibration, _) = try memorizingModel()
        let out = try XCTUnwrap(Self.dir).appendingPathComponent("unused")
        var o = SanitizationOptions()
        o.sequenceLength = 128
        o.membershipFloor = true
        let floored = try PreparedWork(inputs: SanitizationInputs(model: model, corpus: corpus, output: out,
                                                                  calibration: calibration), options: o)
        let unseen = try XCTUnwrap(floored.calibrationWindows)
        o.membershipFloor = false
        o.repairNotes = .calibration
        let work = try PreparedWork(inputs: SanitizationInputs(model: model, corpus: corpus, output: out,
                                                               calibration: calibration), options: o)
        XCTAssertNil(work.calibrationWindows)
        XCTAssertEqual(work.repairWindows.count, unseen.count)
        XCTAssertNotEqual(work.repairWindows.count, work.windows.count, "not the corpus's windows")
        let all = Array(0..<unseen.count)
        let a = work.repairWindows.batch(all), b = unseen.batch(all)
        XCTAssertEqual(a.tokens, b.tokens)
        XCTAssertEqual(a.targets, b.targets)
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertTrue(a.weights.contains(0) && a.weights.contains { $0 > 0 }, "sensitive targets carry no loss")
        XCTAssertThrowsError(try PreparedWork(inputs: SanitizationInputs(model: model, corpus: corpus, output: out),
                                              options: o)) { XCTAssertTrue("\($0)".contains("repairNotes"), "\($0)") }
        XCTAssertThrowsError(try Sanitizer.validate(inputs: SanitizationInputs(model: model, corpus: corpus,
                                                                               heldOut: heldOut, output: out), options: o)) {
            XCTAssertTrue("\($0)".contains("calibration notes"), "\($0)")
        }
        let broken = try XCTUnwrap(Self.dir).appendingPathComponent("broken-calibration.jsonl")
        try Data("{\"text\": \"a note\"}\n{\"text\": 3}\n".utf8).write(to: broken)
        XCTAssertThrowsError(try Sanitizer.validate(inputs: SanitizationInputs(model: model, corpus: corpus, output: out,
                                                                               calibration: broken), options: o)) {
            XCTAssertTrue("\($0)".contains("calibration notes") && "\($0)".contains("2"), "\($0)")
        }
        o.membershipFloor = true
        XCTAssertThrowsError(try o.validate()) { XCTAssertTrue("\($0)".contains("membershipFloor"), "\($0)") }
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"repairNotes":"held-out"}"#.utf8))) {
            XCTAssertTrue("\($0)".contains("corpus or calibration"), "\($0)")
        }
        let decoded = try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"repairNotes":"calibration"}"#.utf8))
        XCTAssertEqual(decoded.repairNotes, .calibration)
        XCTAssertNil(SanitizationOptions().repairNotes, "decided by the run's inputs")
    }

    /// The defaults a run's inputs decide: without a base model the paper's erase (L = 1, r = 0.5) and a repair
    /// on the corpus with forgetting against the model (λ = 1); with one, every block and the embeddings back to
    /// it and forgetting against it (λ = 0.3); with calibration notes as well, the repair on them and no
    /// forgetting, unless a membership floor asks for a repair on the corpus. What is asked for always wins, and
    /// the run's report shows what it used.
    func testTheDefaultsFollowTheBaseModelAndTheCalibrationNotes() throws {
        let plain = SanitizationOptions()
        let paper = plain.resolved(objective: .causal, hasBase: false, hasCalibration: true, blockCount: 30)
        XCTAssertEqual(paper.eraseLayers, 1)
        XCTAssertEqual(paper.eraseFraction, 0.5)
        XCTAssertEqual(paper.repairNotes, .corpus, "no base model: calibration notes alone do not change the repair")
        XCTAssertEqual(paper.forgetWeight, SanitizationOptions.defaultCausalForgetWeight)
        XCTAssertEqual(paper.forgetReference, .model)
        XCTAssertEqual(paper.eraseWholeBlocks, false)
        XCTAssertEqual(paper.eraseEmbeddings, false)
        XCTAssertEqual(paper.epochs, SanitizationOptions.defaultRepairEpochs)
        let onCorpus = plain.resolved(objective: .causal, hasBase: true, hasCalibration: false, blockCount: 30)
        XCTAssertEqual(onCorpus.eraseLayers, 30)
        XCTAssertEqual(onCorpus.eraseFraction, 1)
        XCTAssertEqual(onCorpus.repairNotes, .corpus)
        XCTAssertEqual(onCorpus.forgetWeight, SanitizationOptions.defaultBaseForgetWeight)
        XCTAssertEqual(onCorpus.forgetReference, .base)
        XCTAssertEqual(onCorpus.eraseWholeBlocks, true)
        XCTAssertEqual(onCorpus.eraseEmbeddings, true)
        XCTAssertEqual(onCorpus.epochs, 3, "with a base model: 3 epochs")
        let onCalibration = plain.resolved(objective: .causal, hasBase: true, hasCalibration: true, blockCount: 30)
        XCTAssertEqual(onCalibration.repairNotes, .calibration)
        XCTAssertEqual(onCalibration.forgetWeight, 0)
        XCTAssertEqual(onCalibration.eraseLayers, 30)
        XCTAssertEqual(onCalibration.epochs, 3)
        var calibrationWithoutBase = plain
        calibrationWithoutBase.repairNotes = .calibration
        XCTAssertEqual(calibrationWithoutBase.resolved(objective: .causal, hasBase: false, hasCalibration: true, blockCount: 30).epochs, 3,
                       "a repair on other notes: 3 epochs")
        XCTAssertEqual(plain.resolved(objective: .masked, hasBase: true, hasCalibration: false, blockCount: 4).forgetWeight, 0)
        var asked = plain
        asked.eraseLayers = 4
        asked.eraseFraction = 0.5
        asked.repairNotes = .corpus
        asked.forgetWeight = 1
        asked.epochs = 1
        let kept = asked.resolved(objective: .causal, hasBase: true, hasCalibration: true, blockCount: 30)
        XCTAssertEqual(kept.epochs, 1)
        var askedOnCalibration = plain
        askedOnCalibration.epochs = 5
        XCTAssertEqual(askedOnCalibration.resolved(objective: .causal, hasBase: true, hasCalibration: true, blockCount: 30).epochs, 5)
        XCTAssertEqual([kept.eraseLayers, kept.eraseFraction.map { Int($0 * 10) }, kept.forgetWeight.map { Int($0) }], [4, 5, 1])
        XCTAssertEqual(kept.repairNotes, .corpus)
        var floored = plain
        floored.membershipFloor = true
        XCTAssertEqual(floored.resolved(objective: .causal, hasBase: true, hasCalibration: true, blockCount: 30).repairNotes,
                       .corpus, "the membership floor is a repair on the corpus")
        XCTAssertNoThrow(try floored.validate())
        let decoded = try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"epochs":1}"#.utf8))
        XCTAssertNil(decoded.eraseLayers)
        XCTAssertNil(decoded.eraseFraction)
        XCTAssertEqual(decoded.epochs, 1)
        XCTAssertNil(try JSONDecoder().decode(SanitizationOptions.self, from: Data("{}".utf8)).epochs)
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"epochs":-1}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"eraseLayers":0}"#.utf8)))

        // Runs: the report holds the options used, and the erase and repair did what they say.
        let (model, corpus, heldOut, calibration, base) = try memorizingModel()
        var o = SanitizationOptions()
        o.auditAttacks = false
        o.sequenceLength = 128
        func run(_ name: String, base: URL?, calibration: URL?, epochs: Int? = 1) throws -> SanitizationReport {
            var o = o
            o.epochs = epochs
            let out = try XCTUnwrap(Self.dir).appendingPathComponent("defaults-\(name)")
            return try Sanitizer(inputs: SanitizationInputs(model: model, corpus: corpus, heldOut: heldOut, base: base,
                                                            output: out, calibration: calibration), options: o).run()
        }
        let withCalibration = try run("calibration", base: base, calibration: calibration, epochs: nil)
        XCTAssertEqual(withCalibration.options.repairNotes, .calibration)
        XCTAssertEqual(withCalibration.options.epochs, 3)
        XCTAssertEqual(withCalibration.epochs.count, 3, "the repair on calibration notes runs 3 epochs by default")
        XCTAssertEqual(withCalibration.options.forgetWeight, 0)
        XCTAssertEqual(withCalibration.options.eraseLayers, 2)
        XCTAssertEqual(withCalibration.options.eraseFraction, 1)
        XCTAssertEqual(withCalibration.erase?.blocks, [0, 1], "every block")
        XCTAssertEqual(withCalibration.erase?.wholeBlocks, true)
        XCTAssertNotNil(withCalibration.erase?.restoredOutsideBlocks)
        let withoutCalibration = try run("corpus", base: base, calibration: nil)
        XCTAssertEqual(withoutCalibration.options.repairNotes, .corpus)
        XCTAssertEqual(withoutCalibration.options.forgetReference, .base)
        XCTAssertEqual(withoutCalibration.options.forgetWeight, SanitizationOptions.defaultBaseForgetWeight)
        XCTAssertEqual(withoutCalibration.erase?.blocks, [0, 1])
        XCTAssertEqual(withoutCalibration.epochs.count, 1, "the epochs asked for")
        let withoutBase = try run("paper", base: nil, calibration: calibration)
        XCTAssertEqual(withoutBase.options.repairNotes, .corpus)
        XCTAssertEqual(withoutBase.options.eraseLayers, 1)
        XCTAssertEqual(withoutBase.erase?.blocks, [1], "the last block")
        XCTAssertEqual(withoutBase.options.forgetWeight, SanitizationOptions.defaultCausalForgetWeight)
        // The corpus repair's epoch trains on the corpus's windows, the calibration repair's on fewer ones.
        XCTAssertNotEqual(withCalibration.epochs.first?.trainingLoss, withoutCalibration.epochs.first?.trainingLoss)
    }

    /// Erase back to the base model, then repair on the corpus or on the calibration notes: the corpus repair
    /// makes its notes familiar again (membership AUC above 0.6), the calibration repair leaves them as unfamiliar
    /// as held-out notes (below 0.6, and at least 0.1 under the corpus repair's). Perplexity is printed.
    func testARepairOnCalibrationNotesLeavesTheCorpusUnfamiliar() throws {
        let (model, corpus, heldOut, calibration, base) = try memorizingModel()
        func run(_ notes: RepairNotes) throws -> SanitizationReport {
            var o = Self.fullEraseRepair()
            o.forgetWeight = 0
            o.repairNotes = notes
            let out = try XCTUnwrap(Self.dir).appendingPathComponent("repair-\(notes.rawValue)")
            return try Sanitizer(inputs: SanitizationInputs(model: model, corpus: corpus, heldOut: heldOut, base: base,
                                                            output: out, calibration: calibration), options: o).run()
        }
        let onCorpus = try run(.corpus), onCalibration = try run(.calibration)
        let corpusMIA = try XCTUnwrap(onCorpus.after.membership?.lossAUC)
        let calibrationMIA = try XCTUnwrap(onCalibration.after.membership?.lossAUC)
        print(String(format: "membership AUC before %.3f; repair on the corpus %.3f, on calibration notes %.3f; perplexity %.2f -> %.2f, %.2f",
                     onCorpus.before.membership?.lossAUC ?? -1, corpusMIA, calibrationMIA,
                     onCorpus.before.utility.perplexity, onCorpus.after.utility.perplexity,
                     onCalibration.after.utility.perplexity))
        XCTAssertEqual(onCalibration.options.repairNotes, .calibration)
        XCTAssertEqual(onCalibration.erase?.wholeBlocks, true)
        XCTAssertGreaterThan(corpusMIA, 0.6, "the corpus repair makes its notes familiar again")
        XCTAssertLessThan(calibrationMIA, 0.6)
        XCTAssertLessThan(calibrationMIA, corpusMIA - 0.1)
    }

    /// Restoring outside the blocks copies exactly the embeddings, the final norm and the head, and nothing of
    /// a block; erase with it and every block whole gives back the base model bit for bit.
    func testEraseEmbeddingsRestoresEverythingOutsideTheBlocks() throws {
        let (model, corpus, heldOut, _, base) = try memorizingModel()
        let tuned = try LanguageModelLoader.load(folder: model), general = try LanguageModelLoader.load(folder: base)
        let before = tuned.parameters.values.array
        let copied = tuned.restoreOutsideBlocks(from: general.parameters)
        let prefixes = (0..<tuned.blockCount).compactMap { tuned.blockParameterPrefix($0) }
        XCTAssertEqual(prefixes.count, 2)
        var outside = 0
        let after = tuned.parameters.values.array, reference = general.parameters.values.array
        for spec in tuned.parameters.specs {
            let range = spec.offset..<(spec.offset + spec.count)
            if prefixes.contains(where: { spec.name.hasPrefix($0) }) {
                XCTAssertEqual(Array(after[range]), Array(before[range]), "\(spec.name) is a block's")
            } else {
                outside += spec.count
                XCTAssertEqual(Array(after[range]), Array(reference[range]), "\(spec.name) restored")
            }
        }
        XCTAssertEqual(copied, outside)
        XCTAssertTrue(tuned.parameters.specs.contains { $0.name.contains("wte") }, "the token embeddings are outside")
        // The whole erase, no repair: the base model again.
        var o = SanitizationOptions()
        o.method = .eraseOnly
        o.auditAttacks = false
        o.eraseLayers = 2
        o.eraseFraction = 1
        o.eraseEmbeddings = true
        o.sequenceLength = 128
        let out = try XCTUnwrap(Self.dir).appendingPathComponent("erased")
        let report = try Sanitizer(inputs: SanitizationInputs(model: model, corpus: corpus, heldOut: heldOut, base: base,
                                                              output: out), options: o).run()
        XCTAssertEqual(report.erase?.restoredOutsideBlocks, outside)
        XCTAssertEqual(try LanguageModelLoader.load(folder: out).parameters.values.array, reference)
        // Without a base model there is nothing to restore to.
        o.method = .sani
        XCTAssertThrowsError(try Sanitizer(inputs: SanitizationInputs(model: model, corpus: corpus, output: out),
                                           options: o).run()) { XCTAssertTrue("\($0)".contains("eraseEmbeddings"), "\($0)") }
    }
}
