import XCTest
@testable import Sani

final class SpanDetectorOffsetTests: XCTestCase {
    /// The scalar offset where `needle` first occurs in `text`, counted independently of the detector.
    private func scalarOffset(of needle: String, in text: String) -> Int? {
        let haystack = Array(text.unicodeScalars)
        let pattern = Array(needle.unicodeScalars)
        guard pattern.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - pattern.count) where Array(haystack[start..<start + pattern.count]) == pattern {
            return start
        }
        return nil
    }

    func testOffsetsAfterEmojiAndAccentsAreScalarOffsets() {
        // 👩‍⚕️ is 4 scalars and 5 UTF-16 units, 🇫🇷 two astral scalars, "é" precomposed, "e\u{301}" decomposed.
        let text = "👩‍⚕️ Note 🇫🇷 pour Zoë Ångström, née le 03/14/1931 à Orléans; rappel: 617-555-0199 📞, MRN 00482913 ✅ José\u{301} 🙂 age 97"
        let spans = SpanDetector().detect(in: text)
        let expected: [(String, String)] = [
            ("DATE", "03/14/1931"), ("PHONE", "617-555-0199"), ("MEDICALRECORD", "00482913"), ("AGE", "97"),
        ]
        XCTAssertEqual(spans.count, expected.count, "\(spans)")
        for (span, (label, covered)) in zip(spans, expected) {
            XCTAssertEqual(span.label, label)
            XCTAssertEqual(span.start, scalarOffset(of: covered, in: text))
            XCTAssertEqual(span.end - span.start, covered.unicodeScalars.count)
            XCTAssertEqual(span.text(in: text), covered)
        }
    }

    func testUTF16ToScalarConversion() {
        let text = "a😀b😀😀c"
        let offsets = UTF16ScalarOffsets(text)
        // UTF-16: a=0, 😀=1-2, b=3, 😀=4-5, 😀=6-7, c=8, end=9. Scalars: a0 😀1 b2 😀3 😀4 c5 end6.
        XCTAssertEqual([0, 1, 3, 4, 6, 8, 9].map(offsets.scalarOffset(utf16:)), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(UTF16ScalarOffsets("plain").scalarOffset(utf16: 3), 3)
    }

    func testMixedScriptsNeverGiveSpansOutsideTheText() {
        let pieces = [
            "🙂", "👩‍⚕️", "🇫🇷", "e\u{301}", "Zoë", "漢字", "𝔘", " ", "\n", "fax ", "617-555-0101", "MRN ", "00482913",
            "03/14/2021", "3/14", "92-year-old", "MA 02114", "www.a.org", "a@b.io", "::1", "10.0.0.1", ".", "-", "/",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var text = ""
            for _ in 0..<Int.random(in: 1...20, using: &generator) {
                text += pieces.randomElement(using: &generator) ?? ""
            }
            let count = text.unicodeScalars.count
            for span in SpanDetector().detect(in: text) {
                XCTAssertTrue(0 <= span.start && span.start < span.end && span.end <= count, "\(span) in \(text.debugDescription)")
                XCTAssertFalse(span.text(in: text).isEmpty)
            }
        }
    }

    func testEmojiRightBeforeAnEmail() {
        let text = "🧑‍⚕️jane@clinic.org"
        XCTAssertEqual(detectedSpans(text, [.email]), ["EMAIL:jane@clinic.org"])
        XCTAssertEqual(SpanDetector(kinds: [.email]).detect(in: text).first?.start, 4)
    }
}
