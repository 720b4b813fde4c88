import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// Notes given apart for the utility audit: the whole corpus is repaired on, utility is measured on the notes,
/// their sensitive tokens are marked like the corpus's, and a fault in them is reported as theirs.
final class HeldOutNotesTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try MethodTestSupport.temporaryFolder("sani-heldout") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func inputs(heldOut: URL?) throws -> SanitizationInputs {
        let model = try MethodTestSupport.tinyModelFolder(layers: 1, channels: 32, positions: 128, seed: 2)
        let corpus = dir.appendingPathComponent("notes.jsonl")
        try MethodTestSupport.smallCorpus(at: corpus)
        return SanitizationInputs(model: model, corpus: corpus, heldOut: heldOut, output: dir.appendingPathComponent("out"))
    }

    func options() -> SanitizationOptions {
        var o = SanitizationOptions()
        o.auditAttacks = false  // the attacks have tests of their own
        o.forgetWeight = 0      // the paper's repair
        o.kAnonymity = 0
        o.heldOutFraction = 0.3
        o.sequenceLength = 64
        return o
    }

    func testHeldOutNotesReplaceTheSplitAndTheirSensitiveTokensAreSkipped() throws {
        let heldOut = dir.appendingPathComponent("held-out.jsonl")
        let text = "Patient Gil Moreau seen on 2024-03-05, doing well. Call 555-201-3344 if worse."
        try MethodTestSupport.writeJSONL([["text": text, "subject": "q1",
                                           "spans": [["start": 8, "end": 18, "label": "PATIENT"]]],
                                          ["text": "Routine visit, stable, follow up in two weeks.", "subject": "q2"]],
                                         to: heldOut)
        let work = try PreparedWork(inputs: try inputs(heldOut: heldOut), options: options())
        XCTAssertEqual(work.heldOutSplit, "held-out")
        XCTAssertEqual(work.train.records.count, 6, "every corpus record is repaired on; no split is taken")
        let notes = try XCTUnwrap(work.heldOut)
        XCTAssertEqual(notes.records.count, 2)
        let labels = Set(notes.records[0].labels.compactMap { $0 })
        XCTAssertTrue(labels.contains("PATIENT"), "the notes' own annotations mark their tokens: \(labels)")
        XCTAssertGreaterThan(labels.count, 1, "the detectors mark the date and the phone number too: \(labels)")
        XCTAssertTrue(notes.records[1].labels.allSatisfy { $0 == nil })

        // The audit measures utility on the notes' ordinary tokens only, and names them.
        let auditor = Auditor(model: work.model, tokenizer: work.tokenizer, settings: PreparedWork.auditSettings(options()))
        let report = try auditor.audit(stage: "before", memorized: work.train, heldOut: work.heldOut,
                                       heldOutSplit: work.heldOutSplit)
        XCTAssertEqual(report.utility.split, "held-out")
        let ordinary = notes.records.reduce(0) { n, r in n + (1..<r.ids.count).filter { r.labels[$0] == nil }.count }
        XCTAssertEqual(report.utility.positions, ordinary)
    }

    func testWithoutNotesASplitOfTheCorpusIsHeldOutAndNamedSo() throws {
        let work = try PreparedWork(inputs: try inputs(heldOut: nil), options: options())
        XCTAssertEqual(work.heldOutSplit, "held-out split")
        let heldOut = try XCTUnwrap(work.heldOut)
        XCTAssertEqual(work.train.records.count + heldOut.records.count, 6)
        XCTAssertGreaterThan(heldOut.records.count, 0)
        let auditor = Auditor(model: work.model, tokenizer: work.tokenizer, settings: PreparedWork.auditSettings(options()))
        let report = try auditor.audit(stage: "before", memorized: work.train, heldOut: work.heldOut,
                                       heldOutSplit: work.heldOutSplit)
        XCTAssertEqual(report.utility.split, "held-out split")
    }

    func testMalformedNotesAreReportedAsTheHeldOutNotes() throws {
        let heldOut = dir.appendingPathComponent("held-out.jsonl")
        try Data("{\"text\": \"fine\"}\n{\"text\": 3}\n".utf8).write(to: heldOut)
        let bad = try inputs(heldOut: heldOut)
        for attempt in [{ _ = try Sanitizer.validate(inputs: bad, options: self.options()) },
                        { _ = try PreparedWork(inputs: bad, options: self.options()) }] {
            XCTAssertThrowsError(try attempt()) { error in
                guard case let SaniError.invalidCorpus(line, reason)? = error as? SaniError else {
                    return XCTFail("expected an invalid corpus error, got \(error)")
                }
                XCTAssertEqual(line, 2)
                XCTAssertTrue(reason.hasPrefix("held-out notes: "), reason)
            }
        }
        // A missing file is an I/O error naming it.
        let missing = try inputs(heldOut: dir.appendingPathComponent("nowhere.jsonl"))
        XCTAssertThrowsError(try Sanitizer.validate(inputs: missing, options: options())) { error in
            guard case SaniError.io? = error as? SaniError else { return XCTFail("\(error)") }
        }
    }

    func testCheckpointsOfOtherHeldOutNotesAreNotResumed() throws {
        let a = dir.appendingPathComponent("a.jsonl"), b = dir.appendingPathComponent("b.jsonl")
        try Data("Routine visit, stable.\n".utf8).write(to: a)
        try Data("Routine visit, stable, seen again in the clinic.\n".utf8).write(to: b)
        var inputs = try inputs(heldOut: a)
        let first = SanitizationCheckpoint.fingerprint(inputs: inputs, options: options())
        inputs.heldOut = b
        XCTAssertNotEqual(first, SanitizationCheckpoint.fingerprint(inputs: inputs, options: options()))
        inputs.heldOut = nil
        XCTAssertNotEqual(first, SanitizationCheckpoint.fingerprint(inputs: inputs, options: options()))
    }
}

extension HeldOutNotesTests {
    /// k-anonymity on held-out notes counts the patients of the corpus too: a word every corpus patient uses is
    /// not an identifier because one held-out patient alone uses it among the notes.
    func testIndirectIdentifiersOfTheNotesCountTheCorpusPatients() throws {
        var base = try inputs(heldOut: nil)
        try MethodTestSupport.writeJSONL((0..<4).map {
            ["text": "Known cardiomyopathy, reviewed with the family, visit \($0).", "subject": "p\($0)"]
        }, to: base.corpus)
        let text = "Known cardiomyopathy; zebrafish keeper."
        base.heldOut = dir.appendingPathComponent("held-out.jsonl")
        try MethodTestSupport.writeJSONL([["text": text, "subject": "q1"],
                                          ["text": "Routine visit today.", "subject": "q2"]], to: base.heldOut!)
        var o = options()
        o.kAnonymity = 2
        o.heldOutFraction = 0
        let work = try PreparedWork(inputs: base, options: o)
        let note = try XCTUnwrap(work.heldOut?.records.first)
        let pieces = work.tokenizer.encodeWithOffsets(text)
        let shift = work.scheme.prefix.count
        func labels(of word: String) -> Set<String?> {
            let lower = text.distance(from: text.startIndex, to: text.range(of: word)!.lowerBound)
            let upper = lower + word.count
            return Set(pieces.indices.filter { pieces[$0].start < upper && pieces[$0].end > lower }
                .map { note.labels[$0 + shift] })
        }
        XCTAssertEqual(labels(of: "cardiomyopathy"), [nil], "four corpus patients use it")
        XCTAssertFalse(labels(of: "zebrafish").contains(nil), "one patient in all uses it")
    }
}
