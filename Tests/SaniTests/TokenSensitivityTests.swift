import SaniEngine
import XCTest
@testable import Sani

final class TokenSensitivityTests: XCTestCase {
    // "Pt Alice Durand, MRN 4471223." with GPT-2-like tokens and a zero-length start token.
    private let tokens: [TokenSpan] = [
        TokenSpan(id: 50256, start: 0, end: 0),  // <|endoftext|>
        TokenSpan(id: 1, start: 0, end: 2),  // "Pt"
        TokenSpan(id: 2, start: 2, end: 5),  // " Al"
        TokenSpan(id: 3, start: 5, end: 8),  // "ice"
        TokenSpan(id: 4, start: 8, end: 12),  // " Dur"
        TokenSpan(id: 5, start: 12, end: 15),  // "and"
        TokenSpan(id: 6, start: 15, end: 16),  // ","
        TokenSpan(id: 7, start: 16, end: 19),  // " MR"
        TokenSpan(id: 8, start: 19, end: 20),  // "N"
        TokenSpan(id: 9, start: 20, end: 24),  // " 447"
        TokenSpan(id: 10, start: 24, end: 28),  // "1223"
        TokenSpan(id: 11, start: 28, end: 29),  // "."
    ]
    private let spans = [
        SensitiveSpan(start: 3, end: 15, label: "PATIENT", source: .annotation),
        SensitiveSpan(start: 21, end: 28, label: "MEDICALRECORD", source: .detector),
        SensitiveSpan(start: 17, end: 20, label: "INDIRECT", source: .kAnonymity),
    ]

    func testTokensOverlappingSpansAreSensitive() {
        let sensitivity = TokenSensitivity(tokens: tokens, spans: spans)
        XCTAssertEqual(sensitivity.labels, [
            nil, nil, "PATIENT", "PATIENT", "PATIENT", "PATIENT", nil, "INDIRECT", "INDIRECT",
            "MEDICALRECORD", "MEDICALRECORD", nil,
        ])
        XCTAssertEqual(TokenSensitivity.labels(tokens: tokens, spans: spans), sensitivity.labels)
        XCTAssertEqual(sensitivity.sensitiveCount, 8)
        XCTAssertEqual(sensitivity.isSensitive.filter { $0 }.count, 8)
    }

    func testZeroLengthTokensAndTouchingSpansAreNotSensitive() {
        let tokens = [TokenSpan(id: 0, start: 5, end: 5), TokenSpan(id: 1, start: 5, end: 9), TokenSpan(id: 2, start: 9, end: 12)]
        let spans = [SensitiveSpan(start: 0, end: 5, label: "DATE", source: .detector),
                     SensitiveSpan(start: 9, end: 10, label: "ZIP", source: .detector)]
        XCTAssertEqual(TokenSensitivity(tokens: tokens, spans: spans).labels, [nil, nil, "ZIP"])
    }

    func testTheLabelWithTheLargestOverlapWins() {
        let spans = [SensitiveSpan(start: 0, end: 6, label: "DATE", source: .detector),
                     SensitiveSpan(start: 4, end: 10, label: "PATIENT", source: .term)]
        XCTAssertEqual(TokenSensitivity(tokens: [TokenSpan(id: 0, start: 3, end: 8)], spans: spans).labels, ["PATIENT"])
        // A tie goes to the span that starts first.
        let tie = [SensitiveSpan(start: 6, end: 20, label: "B", source: .term),
                   SensitiveSpan(start: 0, end: 6, label: "A", source: .term)]
        XCTAssertEqual(TokenSensitivity(tokens: [TokenSpan(id: 0, start: 4, end: 8)], spans: tie).labels, ["A"])
    }

    func testByteTokensSharingAnEmojiScalarAreBothSensitive() {
        // "🙂" (scalar 2) split into two byte tokens that both cover it.
        let tokens = [TokenSpan(id: 0, start: 0, end: 2), TokenSpan(id: 1, start: 2, end: 3),
                      TokenSpan(id: 2, start: 2, end: 3), TokenSpan(id: 3, start: 3, end: 7)]
        let spans = [SensitiveSpan(start: 2, end: 3, label: "X", source: .annotation)]
        XCTAssertEqual(TokenSensitivity(tokens: tokens, spans: spans).labels, [nil, "X", "X", nil])
        XCTAssertEqual(TokenSensitivity.tokenRanges(covering: spans, in: tokens), [1..<3])
    }

    func testTokenRangesCoveringEachSpan() {
        let outside = SensitiveSpan(start: 40, end: 45, label: "DATE", source: .detector)
        XCTAssertEqual(TokenSensitivity.tokenRanges(covering: spans + [outside], in: tokens), [2..<6, 9..<11, 7..<9, nil])
        XCTAssertEqual(TokenSensitivity.tokenRanges(covering: [], in: tokens), [])
        XCTAssertEqual(TokenSensitivity.tokenRanges(covering: spans, in: []), [nil, nil, nil])
    }

    func testNoSpansNoSensitiveTokens() {
        XCTAssertEqual(TokenSensitivity(tokens: tokens, spans: []).sensitiveCount, 0)
        XCTAssertEqual(TokenSensitivity(tokens: [], spans: spans).labels, [])
    }
}
