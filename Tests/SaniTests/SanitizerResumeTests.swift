import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// A sanitization interrupted after an epoch resumes from its checkpoint and ends exactly where an
/// uninterrupted run ends; cancellation stops within a step.
final class SanitizerResumeTests: XCTestCase {
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }

    final class Recorder<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [T] = []
        func append(_ x: T) { lock.lock(); items.append(x); lock.unlock() }
        var values: [T] { lock.lock(); defer { lock.unlock() }; return items }
    }

    func options() -> SanitizationOptions {
        var o = SanitizationOptions()
        o.auditAttacks = false  // the attacks have tests of their own
        o.epochs = 3
        o.heldOutFraction = 0
        o.batchSize = 2
        o.sequenceLength = 24
        o.learningRate = 1e-3
        o.kAnonymity = 0
        return o
    }

    func testResumeAfterAnInterruptionGivesTheSameModelAndReport() throws {
        let model = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32, seed: 8)
        let dir = try MethodTestSupport.temporaryFolder()
        let corpus = dir.appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpus)
        try checkResume(model: model, corpus: corpus, dir: dir)
    }

    /// A masked model's targets are drawn from the epoch's seed, so a resumed BERT run ends where an
    /// uninterrupted one does too.
    func testResumeOfABertGivesTheSameModelAndReport() throws {
        let dir = try MethodTestSupport.temporaryFolder()
        let corpus = dir.appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpus)
        let model = try BertTestSupport.tinyModelFolder(corpus: try Corpus.load(url: corpus), layers: 2, hidden: 32,
                                                        heads: 4, intermediate: 64, positions: 64, seed: 8)
        try checkResume(model: model, corpus: corpus, dir: dir)
    }

    func checkResume(model: URL, corpus: URL, dir: URL) throws {

        let straight = SanitizationInputs(model: model, corpus: corpus, output: dir.appendingPathComponent("straight"))
        let reference = try Sanitizer(inputs: straight, options: options()).run()

        let resumed = SanitizationInputs(model: model, corpus: corpus, output: dir.appendingPathComponent("resumed"),
                                         checkpoints: dir.appendingPathComponent("checkpoints"))
        let stop = Flag()
        XCTAssertThrowsError(try Sanitizer(inputs: resumed, options: options()).run(progress: { p in
            if p.phase == .repair && p.epoch == 2 { stop.set() }
        }, isCancelled: { stop.isSet })) { error in
            XCTAssertEqual(error as? SaniError, .cancelled)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: resumed.output.appendingPathComponent("model.safetensors").path))
        let phasesSeen = Recorder<SanitizationPhase>()
        let report = try Sanitizer(inputs: resumed, options: options()).run(progress: { phasesSeen.append($0.phase) })
        let phases = phasesSeen.values
        // The audit before and the erase were not redone: the first repair step is of epoch 2.
        XCTAssertFalse(phases.contains(.erase))
        XCTAssertEqual(report.epochs.count, 3)
        XCTAssertEqual(report.before.tokenRegurgitation, reference.before.tokenRegurgitation)
        XCTAssertEqual(report.before.utility, reference.before.utility)
        XCTAssertEqual(report.erase?.neurons, reference.erase?.neurons)
        XCTAssertEqual(report.epochs.map(\.tokenRegurgitation), reference.epochs.map(\.tokenRegurgitation))
        XCTAssertEqual(report.epochs.map(\.utility), reference.epochs.map(\.utility))
        XCTAssertEqual(report.bestEpoch, reference.bestEpoch)
        let a = try SafetensorsFile(url: straight.output.appendingPathComponent("model.safetensors"))
        let b = try SafetensorsFile(url: resumed.output.appendingPathComponent("model.safetensors"))
        for name in a.names { XCTAssertEqual(try a.floats(name), try b.floats(name), name) }
        let saved = try ReportJSON.decoder().decode(SanitizationReport.self,
            from: Data(contentsOf: resumed.output.appendingPathComponent(Sanitizer.reportFileName)))
        XCTAssertEqual(saved.bestEpoch, report.bestEpoch)
    }

    func testProgressIsMonotonicAndEndsAtOne() throws {
        let model = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32, seed: 9)
        let dir = try MethodTestSupport.temporaryFolder()
        let corpus = dir.appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpus)
        let recorded = Recorder<Double>()
        _ = try Sanitizer(inputs: SanitizationInputs(model: model, corpus: corpus, output: dir.appendingPathComponent("o")),
                          options: options()).run(progress: { recorded.append($0.fraction) })
        let fractions = recorded.values
        XCTAssertEqual(fractions.last, 1)
        for (a, b) in zip(fractions, fractions.dropFirst()) { XCTAssertLessThanOrEqual(a, b + 1e-9) }
    }

    func testBadInputsAreRefusedByValidate() throws {
        let model = try MethodTestSupport.tinyModelFolder()
        let dir = try MethodTestSupport.temporaryFolder()
        let corpus = dir.appendingPathComponent("c.jsonl")
        try Data("{\"text\": \"fine\"}\n{\"txt\": \"typo\"}\n".utf8).write(to: corpus)
        XCTAssertThrowsError(try Sanitizer.validate(inputs: SanitizationInputs(model: model, corpus: corpus, output: dir),
                                                    options: SanitizationOptions())) { error in
            XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
        }
        try MethodTestSupport.smallCorpus(at: corpus)
        let summary = try Sanitizer.validate(inputs: SanitizationInputs(model: model, corpus: corpus, output: dir),
                                             options: SanitizationOptions())
        XCTAssertEqual(summary.corpus.records, 6)
        XCTAssertThrowsError(try Sanitizer.validate(inputs: SanitizationInputs(model: dir, corpus: corpus, output: dir),
                                                    options: SanitizationOptions()))
    }
}
