import XCTest
@testable import Sani

final class SpanDetectorLocationAgeTests: XCTestCase {
    func testZipCodes() {
        XCTAssertEqual(detectedSpans("Lives at 12 Oak St, Boston, MA 02114.", [.zip]), ["ZIP:02114"])
        XCTAssertEqual(detectedSpans("Springfield, Illinois 62704-1234", [.zip]), ["ZIP:62704-1234"])
        XCTAssertEqual(detectedSpans("zip code: 10027", [.zip]), ["ZIP:10027"])
        XCTAssertEqual(detectedSpans("ZIP 94110", [.zip]), ["ZIP:94110"])
    }

    func testNumbersThatAreNotZipCodes() {
        XCTAssertEqual(detectedSpans("Amoxicillin 500 mg, 12345 units of heparin.", [.zip]), [])
        XCTAssertEqual(detectedSpans("Lipase 10027 U/L", [.zip]), [])
        XCTAssertEqual(detectedSpans("Walked in 30000 steps", [.zip]), [])  // lower-case "in" is not Indiana
        XCTAssertEqual(detectedSpans("MA 021145", [.zip]), [])
    }

    func testAgesOverEightyNine() {
        XCTAssertEqual(detectedSpans("A 92-year-old man with CHF.", [.age]), ["AGE:92"])
        XCTAssertEqual(detectedSpans("She is 101 years old.", [.age]), ["AGE:101"])
        XCTAssertEqual(detectedSpans("93 yo F presents with fall", [.age]), ["AGE:93"])
        XCTAssertEqual(detectedSpans("96 y/o M", [.age]), ["AGE:96"])
        XCTAssertEqual(detectedSpans("Age 95, lives alone", [.age]), ["AGE:95"])
        XCTAssertEqual(detectedSpans("aged 101", [.age]), ["AGE:101"])
        XCTAssertEqual(detectedSpans("Patient is 90 years of age.", [.age]), ["AGE:90"])
        XCTAssertEqual(detectedSpans("a woman in her late 90s", [.age]), ["AGE:90s"])
    }

    func testAgesThatAreNotIdentifying() {
        XCTAssertEqual(detectedSpans("A 67-year-old woman.", [.age]), [])
        XCTAssertEqual(detectedSpans("89 yo M", [.age]), [])
        XCTAssertEqual(detectedSpans("Smoked for 95 years? no, 40 pack-years.", [.age]), [])
        XCTAssertEqual(detectedSpans("Heart rate 96, sat 92%.", [.age]), [])
    }
}
