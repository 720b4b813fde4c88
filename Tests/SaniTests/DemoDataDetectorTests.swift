import XCTest
@testable import Sani

/// The built-in detectors and the generator's annotations check each other: the detectors must find
/// nearly every shaped identifier the generator annotated, and nearly everything they find must be
/// annotated (otherwise the generator wrote an identifier without a span, or a detector misfires).
final class DemoDataDetectorTests: XCTestCase {
    static let shapedLabels: Set<String> = ["DATE", "PHONE", "EMAIL", "MEDICALRECORD", "SSN", "ZIP"]

    func testDetectorFindsTheAnnotatedShapedIdentifiers() {
        let corpus = DemoCorpusGenerator(seed: 31).generate(records: 300)
        let detector = SpanDetector()
        var annotated: [String: Int] = [:]
        var found: [String: Int] = [:]
        for record in corpus.records {
            let detected = detector.detect(in: record.text)
            for span in record.annotations {
                let label = span.label
                let isOldAge = label == "AGE" && (Int(span.text(in: record.text)) ?? 0) >= 90
                guard Self.shapedLabels.contains(label) || isOldAge else { continue }
                annotated[label, default: 0] += 1
                if detected.contains(where: { $0.label == label && $0.overlaps(span) }) {
                    found[label, default: 0] += 1
                }
            }
        }
        for label in Self.shapedLabels.union(["AGE"]) {
            let total = annotated[label, default: 0]
            XCTAssertGreaterThan(total, 0, label)
            let recall = Double(found[label, default: 0]) / Double(max(total, 1))
            XCTAssertGreaterThanOrEqual(recall, 0.9, "\(label): \(found[label, default: 0]) of \(total) found")
        }
    }

    func testWhatTheDetectorFindsIsAnnotated() {
        let corpus = DemoCorpusGenerator(seed: 32).generate(records: 300)
        let detector = SpanDetector()
        var detectedCount = 0
        var annotatedCount = 0
        var missed: [String] = []
        for record in corpus.records {
            for span in detector.detect(in: record.text) {
                detectedCount += 1
                if record.annotations.contains(where: { $0.overlaps(span) }) {
                    annotatedCount += 1
                } else if missed.count < 10 {
                    missed.append("\(span.label) \(span.text(in: record.text))")
                }
            }
        }
        XCTAssertGreaterThan(detectedCount, 0)
        let precision = Double(annotatedCount) / Double(max(detectedCount, 1))
        XCTAssertGreaterThanOrEqual(precision, 0.95, "unannotated detections: \(missed)")
    }
}
