import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// The extraction audit decodes its prompts in batches: its figures are those of one prompt at a time.
final class BatchedExtractionTests: XCTestCase {
    func testExtractionFiguresDoNotDependOnTheGenerationBatch() throws {
        // A tiny model trained on the corpus until it reproduces some spans (and not others).
        let (folder, dir, corpusURL, trained) = try MethodTestSupport.memorizingTinyModel(epochs: 80)
        var options = SanitizationOptions()
        options.heldOutFraction = 0
        options.kAnonymity = 0
        let work = try PreparedWork(inputs: SanitizationInputs(model: trained, corpus: corpusURL, output: dir), options: options)
        let reference = try LanguageModelLoader.load(folder: folder)
        var settings = PreparedWork.auditSettings(options)
        settings.samples = 3
        settings.temperature = 1.5
        settings.includeExamples = true

        func audit(batch: Int) throws -> AuditReport {
            var s = settings
            s.generationBatch = batch
            return try Auditor(model: work.model, tokenizer: work.tokenizer, settings: s, reference: reference)
                .audit(stage: "t", memorized: work.train, heldOut: nil)
        }
        let one = try audit(batch: 1)
        XCTAssertEqual(one.spanExtraction.total, 12)
        XCTAssertGreaterThan(one.spanExtraction.count, 0, "the trained model reproduces some spans")
        XCTAssertLessThan(try XCTUnwrap(one.sampledExtraction).count, 12, "and misses some even when sampling")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(one.sampledExtraction).count, one.spanExtraction.count)
        for batch in [2, 5, 32] {
            let batched = try audit(batch: batch)
            XCTAssertEqual(batched.spanExtraction, one.spanExtraction, "batch \(batch)")
            XCTAssertEqual(batched.spanExtractionByLabel, one.spanExtractionByLabel, "batch \(batch)")
            XCTAssertEqual(batched.sampledExtraction, one.sampledExtraction, "batch \(batch)")
            XCTAssertEqual(batched.beyondReference, one.beyondReference, "batch \(batch)")
            XCTAssertEqual(batched.examples, one.examples, "batch \(batch)")
        }

        // The greedy figure is the count of spans whose greedy continuation is the span, one prompt at a time.
        var hits = 0
        let decoder = try XCTUnwrap(work.model.decoder)
        for record in work.train.records {
            for span in record.spans where span.range.lowerBound >= 1 {
                let start = max(0, span.range.lowerBound - settings.prefixTokens)
                let out = try Generator.generate(decoder, prompts: [Array(record.ids[start..<span.range.lowerBound])],
                                                 maxNewTokens: span.range.count, startPositions: [start])
                if out[0].tokens == Array(record.ids[span.range]) { hits += 1 }
            }
        }
        XCTAssertEqual(one.spanExtraction.count, hits)
    }
}
