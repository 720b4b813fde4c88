import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The audit's batched passes against plain one-record-at-a-time loops over the same model.
final class AuditorTests: XCTestCase {
    func prepared(positions: Int = 128) throws -> (PreparedWork, SanitizationOptions) {
        let folder = try MethodTestSupport.tinyModelFolder(layers: 2, channels: 32, positions: positions, seed: 3)
        let corpusURL = try MethodTestSupport.temporaryFolder().appendingPathComponent("c.jsonl")
        try MethodTestSupport.smallCorpus(at: corpusURL)
        var options = SanitizationOptions()
        options.heldOutFraction = 0
        options.auditPrefixTokens = 5
        options.kAnonymity = 0
        return (try PreparedWork(inputs: SanitizationInputs(model: folder, corpus: corpusURL, output: folder),
                                 options: options), options)
    }

    func naiveTeacherForced(_ work: PreparedWork) throws -> (hits: Int, total: Int, nll: Double, positions: Int, correct: Int) {
        var hits = 0, total = 0, nll = 0.0, positions = 0, correct = 0
        for record in work.train.records {
            let logits = try work.model.forward(tokens: record.ids, batch: 1, length: record.ids.count)
            for t in 0..<(record.ids.count - 1) {
                let target = Int(record.ids[t + 1])
                let row = Array(logits.row(t))
                let predicted = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) } ?? 0
                if record.labels[t + 1] != nil {
                    total += 1
                    if predicted == target { hits += 1 }
                } else {
                    let m = row.max() ?? 0
                    let lse = Double(m) + log(row.map { Double(exp($0 - m)) }.reduce(0, +))
                    nll += lse - Double(row[target])
                    positions += 1
                    if predicted == target { correct += 1 }
                }
            }
        }
        return (hits, total, nll, positions, correct)
    }

    func testTeacherForcedFiguresMatchAPlainLoop() throws {
        let (work, options) = try prepared()
        var settings = PreparedWork.auditSettings(options)
        settings.batchTokens = 40   // several batches of records of different lengths
        let report = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: settings)
            .audit(stage: "t", memorized: work.train, heldOut: nil)
        let naive = try naiveTeacherForced(work)
        // Records longer than the context are cut into overlapping segments: every target is still counted once.
        settings.contextLength = 7
        let segmented = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: settings)
            .audit(stage: "t", memorized: work.train, heldOut: nil)
        XCTAssertEqual(segmented.tokenRegurgitation.total, naive.total)
        XCTAssertEqual(segmented.utility.positions, naive.positions)
        XCTAssertEqual(report.tokenRegurgitation.total, naive.total)
        XCTAssertEqual(report.tokenRegurgitation.total, work.train.sensitiveCount)
        XCTAssertEqual(report.utility.positions, naive.positions)
        XCTAssertEqual(report.utility.perplexity, exp(naive.nll / Double(naive.positions)), accuracy: 1e-3)
        XCTAssertEqual(Double(report.utility.accuracy), Double(naive.correct) / Double(naive.positions), accuracy: 1e-9)
        XCTAssertEqual(report.tokenRegurgitationByLabel.values.map(\.total).reduce(0, +), naive.total)
        XCTAssertEqual(Set(report.tokenRegurgitationByLabel.keys), ["PATIENT", "MEDICALRECORD"])
    }

    func testSpanExtractionMatchesOneSpanAtATimeAndReportsNoStringsByDefault() throws {
        let (work, options) = try prepared()
        let report = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: PreparedWork.auditSettings(options))
            .audit(stage: "t", memorized: work.train, heldOut: nil)
        var total = 0, hits = 0
        for record in work.train.records {
            for span in record.spans {
                let start = max(0, span.range.lowerBound - 5)
                let prompt = Array(record.ids[start..<span.range.lowerBound])
                let out = try Generator.generate(try XCTUnwrap(work.model.decoder), prompts: [prompt], maxNewTokens: span.range.count,
                                                 startPositions: [start])
                total += 1
                if out[0].tokens == Array(record.ids[span.range]) { hits += 1 }
            }
        }
        XCTAssertEqual(total, 12)
        XCTAssertEqual(report.spanExtraction.total, total)
        XCTAssertEqual(report.spanExtraction.count, hits)
        XCTAssertNil(report.examples)
        let json = String(decoding: try ReportJSON.encoder().encode(report), as: UTF8.self)
        for name in ["Ana Ruiz", "Bo Chen", "4100000"] { XCTAssertFalse(json.contains(name)) }
    }

    func testAMemorizingModelIsCaughtAndExamplesOnlyWhenAsked() throws {
        // Train the tiny model on the corpus until it reproduces it, then audit with examples.
        let (_, dir, corpusURL, trained) = try MethodTestSupport.memorizingTinyModel(epochs: 150)
        var options = SanitizationOptions()
        options.heldOutFraction = 0
        options.includeExamples = true
        options.kAnonymity = 0
        let work = try PreparedWork(inputs: SanitizationInputs(model: trained, corpus: corpusURL, output: dir), options: options)
        let report = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: PreparedWork.auditSettings(options))
            .audit(stage: "t", memorized: work.train, heldOut: nil)
        XCTAssertGreaterThan(report.tokenRegurgitation.rate, 0.5)
        XCTAssertGreaterThan(report.spanExtraction.rate, 0.5)
        // Extraction beyond the prompt: the spans extracted whose tokens are not a run of their own prompt, counted
        // here one span at a time with the audit's prompt (P tokens before the span).
        var beyond = 0, copied = 0
        for record in work.train.records {
            for span in record.spans where span.range.lowerBound >= 1 {
                let start = max(0, span.range.lowerBound - options.auditPrefixTokens)
                let prompt = Array(record.ids[start..<span.range.lowerBound]), truth = Array(record.ids[span.range])
                let out = try Generator.generate(try XCTUnwrap(work.model.decoder), prompts: [prompt],
                                                 maxNewTokens: truth.count, startPositions: [start])
                guard out[0].tokens == truth else { continue }
                let inPrompt = (0...max(0, prompt.count - truth.count)).contains { i in
                    i + truth.count <= prompt.count && Array(prompt[i..<(i + truth.count)]) == truth
                }
                if inPrompt { copied += 1 } else { beyond += 1 }
            }
        }
        XCTAssertEqual(beyond + copied, report.spanExtraction.count)
        XCTAssertEqual(report.spanExtractionBeyondPrompt, RateFigure(count: beyond, total: report.spanExtraction.total))
        let examples = try XCTUnwrap(report.examples)
        XCTAssertFalse(examples.isEmpty)
        XCTAssertTrue(examples.allSatisfy { $0.expected == $0.generated })
        // Sampled attempts count a span when the greedy or any sample reproduces it: never fewer than greedy,
        // and reproducible from the seed.
        var sampled = PreparedWork.auditSettings(options)
        sampled.samples = 4
        sampled.temperature = 1.5
        let auditor = Auditor(model: work.model, tokenizer: work.tokenizer, settings: sampled)
        let s1 = try auditor.audit(stage: "s", memorized: work.train, heldOut: nil)
        let s2 = try auditor.audit(stage: "s", memorized: work.train, heldOut: nil)
        let figure = try XCTUnwrap(s1.sampledExtraction)
        XCTAssertEqual(figure.total, report.spanExtraction.total)
        XCTAssertGreaterThanOrEqual(figure.count, report.spanExtraction.count)
        XCTAssertEqual(s1.sampledExtraction, s2.sampledExtraction)
        XCTAssertEqual(s1.spanExtraction, report.spanExtraction)
    }
}

/// A span counts as in its prompt when its tokens are a contiguous run of the prompt.
final class PromptCopyTests: XCTestCase {
    func testASpanIsInItsPromptOnlyAsAContiguousRun() {
        XCTAssertTrue(Auditor.occurs([7, 8], in: [1, 7, 8, 2]))
        XCTAssertTrue(Auditor.occurs([7, 8], in: [7, 8]))
        XCTAssertTrue(Auditor.occurs([9], in: [1, 2, 9]))
        XCTAssertFalse(Auditor.occurs([7, 8], in: [7, 1, 8]), "not contiguous")
        XCTAssertFalse(Auditor.occurs([8, 7], in: [7, 8]), "not in order")
        XCTAssertFalse(Auditor.occurs([7, 8, 9], in: [7, 8]), "longer than the prompt")
        XCTAssertFalse(Auditor.occurs([7], in: []))
        XCTAssertFalse(Auditor.occurs([], in: [1, 2]))
    }
}

/// Spans longer than the model's context are cut so that a prompt always fits.
final class AuditorShortContextTests: XCTestCase {
    func testSpansLongerThanTheContextDoNotBreakTheAudit() throws {
        let folder = try MethodTestSupport.tinyModelFolder(layers: 1, channels: 16, heads: 2, positions: 8, seed: 2)
        let dir = try MethodTestSupport.temporaryFolder()
        let corpus = dir.appendingPathComponent("c.jsonl")
        let text = "Contact https://records.example.org/patients/4471023/history/full-export now."
        try MethodTestSupport.writeJSONL([["text": text, "spans": [["start": 8, "end": 71, "label": "URL"]]]], to: corpus)
        var options = SanitizationOptions()
        options.heldOutFraction = 0
        options.kAnonymity = 0
        options.sequenceLength = 8
        let work = try PreparedWork(inputs: SanitizationInputs(model: folder, corpus: corpus, output: dir), options: options)
        XCTAssertGreaterThan(work.train.records[0].spans[0].range.count, 8)
        let report = try Auditor(model: work.model, tokenizer: work.tokenizer, settings: PreparedWork.auditSettings(options))
            .audit(stage: "t", memorized: work.train, heldOut: nil)
        XCTAssertEqual(report.spanExtraction.total, 1)
    }
}
