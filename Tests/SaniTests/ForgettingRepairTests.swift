import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The repairs that go beyond the paper, on a small GPT-2 that memorized its notes: targeted forgetting and
/// surrogate repair each take away more of the memorized identifiers than the paper's masked repair with the
/// same budget, and neither is allowed on a setting it cannot serve.
final class ForgettingRepairTests: XCTestCase {
    static let dir = try? MethodTestSupport.temporaryFolder("sani-forget")

    /// A 2-block GPT-2 trained from scratch on 24 notes until it regurgitates them (made once for the class).
    func memorizingModel() throws -> (model: URL, corpus: URL, heldOut: URL) {
        let dir = try XCTUnwrap(Self.dir)
        let corpus = dir.appendingPathComponent("notes.jsonl"), heldOut = dir.appendingPathComponent("held-out.jsonl")
        let folder = dir.appendingPathComponent("memorizing")
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) {
            let notes = DemoCorpusGenerator(seed: 5).generate(records: 24, heldOutRecords: 8)
            try JSONLCorpusWriter().data(for: notes.train).write(to: corpus)
            try JSONLCorpusWriter().data(for: notes.heldOut).write(to: heldOut)
            let base = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 64, heads: 4, positions: 256, seed: 5)
            var tune = FineTuner.Options()
            tune.fromScratch = true
            tune.epochs = 60
            tune.learningRate = 5e-3
            tune.batchSize = 8
            tune.sequenceLength = 128
            tune.seed = 5
            _ = try FineTuner(options: tune).run(modelFolder: base, corpus: corpus, output: folder)
        }
        return (folder, corpus, heldOut)
    }

    override class func tearDown() {
        if let dir { try? FileManager.default.removeItem(at: dir) }
        super.tearDown()
    }

    func run(_ configure: (inout SanitizationOptions) -> Void, name: String) throws -> SanitizationReport {
        let (model, corpus, heldOut) = try memorizingModel()
        var o = SanitizationOptions()
        o.auditAttacks = false  // the attacks have tests of their own
        o.method = .repairOnly
        o.epochs = 2
        o.learningRate = 1e-3
        o.batchSize = 8
        o.sequenceLength = 128
        o.auditPrefixTokens = 64
        o.seed = 2
        configure(&o)
        let out = try XCTUnwrap(Self.dir).appendingPathComponent(name)
        return try Sanitizer(inputs: SanitizationInputs(model: model, corpus: corpus, heldOut: heldOut, output: out),
                             options: o).run()
    }

    func testForgettingAndSurrogatesForgetMoreThanTheMaskedRepair() throws {
        let masked = try run({ $0.forgetWeight = 0 }, name: "masked")
        let forget = try run({ _ in }, name: "forget")   // targeted forgetting is the default of causal models
        let surrogate = try run({ $0.repairMode = .surrogate; $0.forgetWeight = 0 }, name: "surrogate")
        let before = masked.before
        for (name, r) in [("masked", masked), ("forget", forget), ("surrogate", surrogate)] {
            print("\(name): tokens \(before.tokenRegurgitation.rate) -> \(r.after.tokenRegurgitation.rate), spans \(before.spanExtraction.rate) -> \(r.after.spanExtraction.rate), ppl \(before.utility.perplexity) -> \(r.after.utility.perplexity)")
        }
        XCTAssertGreaterThan(before.tokenRegurgitation.rate, 0.4, "the model memorized its notes")
        XCTAssertLessThan(forget.after.tokenRegurgitation.rate, masked.after.tokenRegurgitation.rate - 0.1)
        XCTAssertLessThan(surrogate.after.tokenRegurgitation.rate, masked.after.tokenRegurgitation.rate - 0.1)
        XCTAssertLessThanOrEqual(forget.after.spanExtraction.rate, masked.after.spanExtraction.rate)
        XCTAssertLessThanOrEqual(surrogate.after.spanExtraction.rate, masked.after.spanExtraction.rate)
        // The options are in the report, so a reader knows which repair made the figures.
        XCTAssertEqual(surrogate.options.repairMode, .surrogate)
        XCTAssertEqual(forget.options.forgetWeight, 1, "the report holds the weight the run used")
        XCTAssertEqual(forget.options.forgetReference, .model)
        XCTAssertEqual(SanitizationOptions().effectiveForgetWeight(.causal), 1)
        XCTAssertEqual(SanitizationOptions().effectiveForgetWeight(.masked), 0)
    }

    func testSurrogateAndForgettingTogetherAndScoredErase() throws {
        let both = try run({ o in
            o.method = .sani
            o.repairMode = .surrogate
            o.forgetWeight = 1
            o.selection = .gradient
            o.eraseScope = .scored
            o.eraseLayers = 1
            o.eraseFraction = 0.25
        }, name: "both")
        let erase = try XCTUnwrap(both.erase)
        XCTAssertEqual(erase.scope, .scored)
        XCTAssertEqual(erase.blocks, [0, 1], "a scored erase draws from every block")
        // 0.25 × 1 block × 256 neurons, wherever the scores put them.
        XCTAssertEqual(erase.neurons.map(\.count).reduce(0, +), 64)
        XCTAssertLessThan(both.after.tokenRegurgitation.rate, both.before.tokenRegurgitation.rate)
    }

    func testOptionsAreCheckedAndDecodedStrictly() throws {
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"repairMode":"fake"}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"forgetWeight":-1}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"forgetBeta":0}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"eraseScope":"scored"}"#.utf8)),
                             "a scored erase needs a scoring selection")
        let o = try JSONDecoder().decode(SanitizationOptions.self, from: Data(
            #"{"repairMode":"surrogate","forgetWeight":0.5,"forgetBeta":2,"eraseScope":"scored","selection":"gradient"}"#.utf8))
        XCTAssertEqual(o.repairMode, .surrogate)
        XCTAssertEqual(o.forgetWeight, 0.5)
        XCTAssertEqual(o.forgetBeta, 2)
        XCTAssertEqual(o.eraseScope, .scored)
        let again = try JSONDecoder().decode(SanitizationOptions.self, from: try JSONEncoder().encode(o))
        XCTAssertEqual(again, o)
    }
}
