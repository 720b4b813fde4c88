import Foundation
import XCTest
@testable import Sani

/// Which epoch's weights the sanitizer keeps: privacy first, then utility, then the finer measures.
final class KeptEpochTests: XCTestCase {
    func report(spans: Double, tokens: Double, perplexity: Double) -> AuditReport {
        func rate(_ r: Double) -> RateFigure { RateFigure(count: Int((r * 1000).rounded()), total: 1000) }
        return AuditReport(stage: "e", tokenRegurgitation: rate(tokens), tokenRegurgitationByLabel: [:],
                           spanExtraction: rate(spans), spanExtractionByLabel: [:], sampledExtraction: nil,
                           utility: UtilityFigure(perplexity: perplexity, accuracy: 0.5, positions: 100, split: "held-out"),
                           examples: nil, seconds: 0, trainingLoss: nil)
    }

    func sanitizer(target: Double? = nil) -> Sanitizer {
        var o = SanitizationOptions()
        o.auditAttacks = false  // the attacks have tests of their own
        o.forgetWeight = 0      // the paper's repair
        o.targetExtractionRate = target
        let url = URL(fileURLWithPath: "/nonexistent")
        return Sanitizer(inputs: SanitizationInputs(model: url, corpus: url, output: url), options: o)
    }

    func testPrivacyFirstThenUtilityThenTokensThenPerplexity() {
        let s = sanitizer()
        let before = report(spans: 0.4, tokens: 0.6, perplexity: 10)
        // Span extraction lower by more than 2 points wins even outside the utility bound.
        XCTAssertTrue(s.isBetter(report(spans: 0.10, tokens: 0.5, perplexity: 20), than: report(spans: 0.15, tokens: 0.3, perplexity: 10), before: before))
        // Within 2 points: the one inside the +10 % perplexity bound wins.
        XCTAssertTrue(s.isBetter(report(spans: 0.11, tokens: 0.5, perplexity: 10.5), than: report(spans: 0.10, tokens: 0.3, perplexity: 12), before: before))
        // Both inside, same extraction: the lower token regurgitation wins, before perplexity.
        XCTAssertTrue(s.isBetter(report(spans: 0, tokens: 0.2, perplexity: 10.9), than: report(spans: 0, tokens: 0.3, perplexity: 10.1), before: before))
        XCTAssertFalse(s.isBetter(report(spans: 0, tokens: 0.3, perplexity: 10.1), than: report(spans: 0, tokens: 0.2, perplexity: 10.9), before: before))
        // Both outside the bound: a clearly lower token regurgitation wins, else the lower perplexity.
        XCTAssertTrue(s.isBetter(report(spans: 0, tokens: 0.20, perplexity: 40), than: report(spans: 0.001, tokens: 0.25, perplexity: 20), before: before))
        XCTAssertTrue(s.isBetter(report(spans: 0.001, tokens: 0.21, perplexity: 20), than: report(spans: 0, tokens: 0.20, perplexity: 110), before: before))
        // Everything equal but perplexity.
        XCTAssertTrue(s.isBetter(report(spans: 0, tokens: 0.2, perplexity: 10.1), than: report(spans: 0, tokens: 0.2, perplexity: 10.2), before: before))
    }

    func testMeetingTheTargetWins() {
        let s = sanitizer(target: 0.05)
        let before = report(spans: 0.4, tokens: 0.6, perplexity: 10)
        XCTAssertTrue(s.isBetter(report(spans: 0.05, tokens: 0.5, perplexity: 30), than: report(spans: 0.06, tokens: 0.1, perplexity: 10), before: before))
    }
}
