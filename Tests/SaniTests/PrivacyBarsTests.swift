import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The efficacy bars on a small from-scratch version of the paper's setting: a GPT-2 first trained on general
/// notes about some patients, then fine-tuned on a hospital's notes about others until it regurgitates them, then
/// sanitized with the defaults and the general model as its base (whole blocks restored, forgetting against the
/// base). The privacy bars are asserted with the stronger
/// audit (sampled extraction, membership inference, the relearning attack) on the hospital's notes; utility is
/// measured on notes about patients no model saw and printed.
final class PrivacyBarsTests: XCTestCase {
    func testDefaultsMeetThePrivacyBars() throws {
        let dir = try MethodTestSupport.temporaryFolder("sani-bars")
        defer { try? FileManager.default.removeItem(at: dir) }
        let general = dir.appendingPathComponent("general.jsonl")
        let hospital = dir.appendingPathComponent("hospital.jsonl"), heldOut = dir.appendingPathComponent("held.jsonl")
        try JSONLCorpusWriter().data(for: DemoCorpusGenerator(seed: 21).generate(records: 48, heldOutRecords: 0).train)
            .write(to: general)
        let notes = DemoCorpusGenerator(seed: 22).generate(records: 24, heldOutRecords: 8)
        try JSONLCorpusWriter().data(for: notes.train).write(to: hospital)
        try JSONLCorpusWriter().data(for: notes.heldOut).write(to: heldOut)

        let fresh = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 64, heads: 4, positions: 256, seed: 21)
        func train(_ from: URL, _ corpus: URL, _ out: String, epochs: Int, lr: Double, scratch: Bool) throws -> URL {
            try MethodTestSupport.train(from, on: corpus, into: dir.appendingPathComponent(out), epochs: epochs, lr: lr,
                                        scratch: scratch, seed: 21)
        }
        let generalModel = try train(fresh, general, "general", epochs: 30, lr: 5e-3, scratch: true)
        let fineTuned = try train(generalModel, hospital, "fine-tuned", epochs: 40, lr: 2e-3, scratch: false)

        var o = SanitizationOptions()
        o.sequenceLength = 128
        o.auditPrefixTokens = 64
        o.exposureCandidates = 30
        o.seed = 3
        // The erase is the default with a base model: every block of this model, in full, restored to the general model.
        // The floor: what the general model, which never saw the hospital's notes, already predicts.
        let floorWork = try PreparedWork(inputs: SanitizationInputs(model: generalModel, corpus: hospital, heldOut: heldOut,
                                                                    output: dir.appendingPathComponent("unused")),
                                         options: o)
        let floorAudit = try Auditor(model: floorWork.model, tokenizer: floorWork.tokenizer,
                                     settings: PreparedWork.finalAuditSettings(o))
            .audit(stage: "general", memorized: floorWork.train, heldOut: floorWork.heldOut)
        let report = try Sanitizer(inputs: SanitizationInputs(model: fineTuned, corpus: hospital, heldOut: heldOut,
                                                              base: generalModel, output: dir.appendingPathComponent("out")),
                                   options: o).run()
        let before = report.before, after = report.after
        XCTAssertEqual(report.erase?.blocks, [0, 1])
        XCTAssertEqual(report.options.eraseFraction, 1)
        func line(_ name: String, _ a: AuditReport) -> String {
            String(format: "%@: tokens %.3f spans %.3f sampled %.3f MIA %.3f relearned %.3f ppl %.3f", name,
                   a.tokenRegurgitation.rate, a.spanExtraction.rate, a.sampledExtraction?.rate ?? -1,
                   a.membership?.lossAUC ?? -1, a.relearned?.spanExtraction.rate ?? -1, a.utility.perplexity)
        }
        print(line("general", floorAudit)); print(line("before", before)); print(line("after", after))
        XCTAssertGreaterThan(before.spanExtraction.rate, 0.1, "the fine-tuned model regurgitates whole identifiers")
        XCTAssertGreaterThan(before.tokenRegurgitation.rate, floorAudit.tokenRegurgitation.rate + 0.2)
        // The bars.
        XCTAssertLessThanOrEqual(after.spanExtraction.rate, 0.01, "greedy span extraction")
        XCTAssertLessThanOrEqual(try XCTUnwrap(after.sampledExtraction).rate, 0.02, "sampled span extraction")
        XCTAssertLessThanOrEqual(after.tokenRegurgitation.rate, floorAudit.tokenRegurgitation.rate + 0.05,
                                 "token regurgitation within 5 points of the general model's")
        XCTAssertLessThanOrEqual(try XCTUnwrap(after.relearned).spanExtraction.rate, 0.03, "after the relearning attack")
        let membership = try XCTUnwrap(after.membership)
        print("membership: loss AUC \(membership.lossAUC), min-k AUC \(membership.minKAUC) (before: \(before.membership?.lossAUC ?? -1))")
        print("membership AUC against the general model (the reference attack): before \(before.membership?.referenceLossAUC ?? -1), after \(membership.referenceLossAUC ?? -1)")
        print("identifier membership AUC: general \(floorAudit.membership?.identifiers?.lossAUC ?? -1), before \(before.membership?.identifiers?.lossAUC ?? -1), after \(membership.identifiers?.lossAUC ?? -1)")
        // Against the general model (the base, which never saw the notes): before, most extracted spans are the
        // fine-tune's; after, none is left that the general model does not extract too.
        let beyondBefore = try XCTUnwrap(before.beyondReference), beyondAfter = try XCTUnwrap(after.beyondReference)
        print("beyond the general model: before \(beyondBefore.spanExtraction.count) of \(beyondBefore.spanExtraction.total), after \(beyondAfter.spanExtraction.count); the general model extracts \(beyondAfter.referenceExtraction.count)")
        XCTAssertEqual(beyondAfter.referenceExtraction, floorAudit.spanExtraction, "the reference's own extraction is the floor audit's")
        XCTAssertGreaterThan(beyondBefore.spanExtraction.rate, 0.1)
        XCTAssertLessThanOrEqual(beyondAfter.spanExtraction.rate, 0.01, "greedy span extraction beyond the general model")
        // Membership: with a base model the defaults restore whole blocks, the embeddings and the head, and forget
        // against it, which takes the loss attack from 1.00 to 0.50 here (0.55 with the fine-tune's embeddings
        // kept, 0.82 when forgetting against the fine-tuned model). Held to [0.4, 0.6] (bar 0.55; 24 against 8
        // notes read it to about ±0.1) so that losing the calibration shows; far below 0.5 would be a signal too.
        XCTAssertLessThanOrEqual(membership.lossAUC, 0.6, "membership AUC (loss)")
        XCTAssertGreaterThanOrEqual(membership.lossAUC, 0.4, "membership AUC (loss), inverted")
        // The identifiers' membership is held to the general model's own reading of the same notes (0.32 here:
        // the held-out patients' identifiers happen to be easier for it), not to 0.5: a model that never saw
        // them is what a sanitized model can at best be.
        let identifiers = try XCTUnwrap(membership.identifiers)
        let generalIdentifiers = try XCTUnwrap(floorAudit.membership?.identifiers?.lossAUC)
        XCTAssertLessThan(abs(identifiers.lossAUC - generalIdentifiers), 0.15,
                          "identifier membership as the general model reads it")
    }
}
