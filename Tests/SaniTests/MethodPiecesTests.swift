import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The method's building blocks: options, tokenized corpus, training windows, neuron reset, checkpoints.
final class MethodPiecesTests: XCTestCase {
    func testOptionsDecodeDefaultsAndRejectUnknownFieldsAndRanges() throws {
        let defaults = try JSONDecoder().decode(SanitizationOptions.self, from: Data("{}".utf8))
        XCTAssertEqual(defaults, SanitizationOptions())
        XCTAssertNil(defaults.eraseLayers, "decided by the run: the paper's 1, or every block with a base model")
        XCTAssertEqual(defaults.effectiveEraseLayers(hasBase: false, blockCount: 12), 1)
        XCTAssertEqual(defaults.effectiveEraseFraction(hasBase: false), 0.5)
        XCTAssertEqual(defaults.selection, .random)
        let custom = try JSONDecoder().decode(SanitizationOptions.self,
                                              from: Data(#"{"method": "repair-only", "epochs": 1, "seed": 9}"#.utf8))
        XCTAssertEqual(custom.method, .repairOnly)
        XCTAssertEqual(custom.seed, 9)
        XCTAssertEqual(defaults.learningRateSchedule, .constant)
        let cosine = try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"learningRateSchedule": "cosine"}"#.utf8))
        XCTAssertEqual(cosine.learningRateSchedule, .cosine)
        let roundTrip = try JSONDecoder().decode(SanitizationOptions.self, from: JSONEncoder().encode(cosine))
        XCTAssertEqual(roundTrip, cosine)
        XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self,
                                                      from: Data(#"{"learningRateSchedule": "linear"}"#.utf8))) {
            XCTAssertTrue("\($0)".contains("learningRateSchedule must be constant or cosine"), "\($0)")
        }
        for bad in [#"{"epoch": 1}"#, #"{"eraseFraction": 0}"#, #"{"eraseFraction": 1.5}"#, #"{"batchSize": 0}"#,
                    #"{"method": "delete-all"}"#, #"{"detectors": ["dates"]}"#, #"{"learningRate": -1}"#] {
            XCTAssertThrowsError(try JSONDecoder().decode(SanitizationOptions.self, from: Data(bad.utf8)), bad)
        }
        do {
            _ = try JSONDecoder().decode(SanitizationOptions.self, from: Data(#"{"epoch": 1}"#.utf8))
        } catch {
            XCTAssertTrue("\(error)".contains("unknown option \"epoch\""), "\(error)")
        }
    }

    func testTokenizedCorpusMarksSpansAndWindowsMaskSensitiveTargets() throws {
        let tokenizer = try ByteLevelBPETokenizer.load(folder: MethodTestSupport.tinyTokenizerFolder)
        let eot = Int32(try XCTUnwrap(tokenizer.endOfTextID))
        let text = "Patient Ana Ruiz is stable."
        let corpus = Corpus(records: [CorpusRecord(text: text, annotations: [
            SensitiveSpan(start: 8, end: 16, label: "PATIENT", source: .annotation)])])
        let tokenized = try TokenizedCorpus(corpus: corpus, tokenizer: tokenizer, separator: eot,
                                            vocabularySize: tokenizer.vocabularySize)
        let record = tokenized.records[0]
        XCTAssertEqual(record.ids.first, eot)
        XCTAssertEqual(record.ids.count, record.labels.count)
        // Decoding the sensitive tokens gives back exactly the covered characters.
        let sensitiveIDs = zip(record.ids, record.labels).filter { $0.1 != nil }.map { Int($0.0) }
        XCTAssertEqual(tokenizer.decode(sensitiveIDs).trimmingCharacters(in: .whitespaces), "Ana Ruiz")
        XCTAssertEqual(record.spans.count, 1)
        XCTAssertEqual(record.spans[0].label, "PATIENT")
        XCTAssertEqual(tokenizer.decode(record.ids[record.spans[0].range].map(Int.init)).trimmingCharacters(in: .whitespaces), "Ana Ruiz")

        let windows = TrainingWindows(corpus: tokenized, length: 4, trailingSeparator: eot)
        XCTAssertGreaterThan(windows.count, 1)
        let all = windows.batch(Array(0..<windows.count))
        let stream = record.ids + [eot]
        let sensitive = record.labels.map { $0 != nil } + [false]
        var covered = Set<Int>()
        for w in 0..<windows.count {
            for t in 0..<4 {
                let i = w * 4 + t
                let start = windows.starts[w]
                covered.insert(start + t + 1)
                XCTAssertEqual(all.tokens[i], stream[start + t])
                XCTAssertEqual(all.targets[i], stream[start + t + 1])
                XCTAssertEqual(all.weights[i], sensitive[start + t + 1] ? 0 : 1)
            }
        }
        // Every target is covered, and the first window starts at the record's start.
        XCTAssertEqual(covered, Set(1..<stream.count))
        XCTAssertEqual(windows.starts.first, 0)
        let inverted = windows.batch([0], sensitiveOnly: true)
        XCTAssertEqual(zip(inverted.weights, all.weights.prefix(4)).filter { $0.0 == $0.1 }.count, 0)
        XCTAssertEqual(windows.order(seed: 3), windows.order(seed: 3))
        XCTAssertEqual(windows.order(seed: 3).sorted(), Array(0..<windows.count))
    }

    func testNeuronResetTouchesOnlyThatNeuronAndFollowsTheFamilyInit() throws {
        let folder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32)
        let model = try GPT2Model.load(folder: folder)
        let before = model.parameters.values.array
        var rng = RandomSource(seed: 5)
        model.resetNeuron(block: 1, index: 7, rng: &rng)
        let after = model.parameters.values.array
        let fc = try XCTUnwrap(model.parameters.spec("transformer.h.1.mlp.c_fc.weight"))
        let fcBias = try XCTUnwrap(model.parameters.spec("transformer.h.1.mlp.c_fc.bias"))
        let proj = try XCTUnwrap(model.parameters.spec("transformer.h.1.mlp.c_proj.weight"))
        var changed = Set<Int>()
        for i in 0..<before.count where before[i] != after[i] { changed.insert(i) }
        var expected = Set<Int>()
        for r in 0..<32 { expected.insert(fc.offset + r * 128 + 7) }       // column 7 of [32, 128]
        for c in 0..<32 { expected.insert(proj.offset + 7 * 32 + c) }      // row 7 of [128, 32]
        XCTAssertTrue(changed.isSubset(of: expected.union([fcBias.offset + 7])))
        XCTAssertGreaterThan(changed.count, 60)
        XCTAssertEqual(after[fcBias.offset + 7], 0)
        // The output projection is initialised with the residual scaling 0.02/sqrt(2·layers) = 0.01.
        let projRow = (0..<32).map { after[proj.offset + 7 * 32 + $0] }
        let std = (projRow.map { $0 * $0 }.reduce(0, +) / 32).squareRoot()
        XCTAssertLessThan(std, 0.02)
        XCTAssertGreaterThan(std, 0.004)
    }

    func testRandomSelectionIsSeededAndErasesTheLastBlocks() throws {
        let folder = try MethodTestSupport.tinyModelFolder(layers: 3, channels: 32)
        let corpusURL = try MethodTestSupport.temporaryFolder().appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpusURL)
        var options = SanitizationOptions()
        options.auditAttacks = false  // the attacks have tests of their own
        options.forgetWeight = 0      // the paper's repair
        options.eraseLayers = 2
        options.heldOutFraction = 0
        options.sequenceLength = 16
        let inputs = SanitizationInputs(model: folder, corpus: corpusURL, output: folder)
        func erase(_ selection: NeuronSelection, seed: UInt64) throws -> EraseSummary {
            let work = try PreparedWork(inputs: inputs, options: options)
            return try NeuronEraser(model: work.model, selection: selection, layers: 2, fraction: 0.25, seed: seed)
                .run(windows: work.windows, batchSize: 4, isCancelled: { false })
        }
        let a = try erase(.random, seed: 1), b = try erase(.random, seed: 1), c = try erase(.random, seed: 2)
        XCTAssertEqual(a.blocks, [1, 2])
        XCTAssertEqual(a.neuronsPerBlock, 32)
        XCTAssertEqual(a.neurons, b.neurons)
        XCTAssertNotEqual(a.neurons, c.neurons)
        for strategy in [NeuronSelection.activation, .gradient] {
            let s = try erase(strategy, seed: 1)
            XCTAssertEqual(s.neurons.map(\.count), [32, 32])
            XCTAssertEqual(s.neurons.map { Set($0).count }, [32, 32])
        }
    }
}

/// The repair follows the learning-rate schedule the options ask for.
final class RepairScheduleTests: XCTestCase {
    func testCosineScheduleChangesTheRepairAndConstantIsTheDefault() throws {
        let folder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32)
        let corpusURL = try MethodTestSupport.temporaryFolder().appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpusURL)
        func repair(_ shape: LearningRateSchedule.Shape?) throws -> [Float] {
            var options = SanitizationOptions()
            options.auditAttacks = false  // the attacks have tests of their own
            options.forgetWeight = 0      // the paper's repair
            options.method = .repairOnly
            options.heldOutFraction = 0
            options.sequenceLength = 16
            options.batchSize = 2
            options.epochs = 2
            options.learningRate = 1e-2
            if let shape { options.learningRateSchedule = shape }
            let out = try MethodTestSupport.temporaryFolder()
            _ = try Sanitizer(inputs: SanitizationInputs(model: folder, corpus: corpusURL, output: out), options: options).run()
            return try GPT2Model.load(folder: out).parameters.values.array
        }
        let byDefault = try repair(nil), constant = try repair(.constant), cosine = try repair(.cosine)
        XCTAssertEqual(byDefault, constant)
        XCTAssertNotEqual(cosine, constant)
        // Cosine decays the rate, so the weights move less from the fine-tuned model than at a constant rate.
        let start = try GPT2Model.load(folder: folder).parameters.values.array
        func distance(_ a: [Float]) -> Float { zip(a, start).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) }
        XCTAssertLessThan(distance(cosine), distance(constant))
    }
}
