import XCTest
@testable import Sani

final class SpanDetectorDateTests: XCTestCase {
    private func dates(_ text: String) -> [String] { detectedSpans(text, [.date]) }

    func testNumericDates() {
        XCTAssertEqual(dates("Admitted 03/14/2021 for chest pain."), ["DATE:03/14/2021"])
        XCTAssertEqual(dates("Seen on 14.03.2021 in clinic."), ["DATE:14.03.2021"])
        XCTAssertEqual(dates("Labs drawn 3-14-21."), ["DATE:3-14-21"])
        XCTAssertEqual(dates("CT on 2021-03-14 showed no bleed."), ["DATE:2021-03-14"])
        XCTAssertEqual(dates("Scan 2021/3/4"), ["DATE:2021/3/4"])
    }

    func testDatesWithMonthNames() {
        XCTAssertEqual(dates("Surgery on March 14, 2021 went well."), ["DATE:March 14, 2021"])
        XCTAssertEqual(dates("Surgery on 14 March 2021."), ["DATE:14 March 2021"])
        XCTAssertEqual(dates("Return Mar 14th for suture removal."), ["DATE:Mar 14th"])
        XCTAssertEqual(dates("Return on the 2nd of February."), ["DATE:2nd of February"])
        XCTAssertEqual(dates("Last colonoscopy in Sept. 2019."), ["DATE:Sept. 2019"])
        XCTAssertEqual(dates("SEEN DEC 3 2020"), ["DATE:DEC 3 2020"])
    }

    func testMonthAndDayWithoutYear() {
        XCTAssertEqual(dates("Follow up 3/14 with Dr. Lee."), ["DATE:3/14"])
        XCTAssertEqual(dates("On 12/25 she fell."), ["DATE:12/25"])
    }

    func testThingsThatAreNotDates() {
        XCTAssertEqual(dates("Next visit in Jan, weather permitting."), [])
        XCTAssertEqual(dates("She may 2 doses if needed"), [])
        XCTAssertEqual(dates("Take 1/2 tab at night."), [])
        XCTAssertEqual(dates("Pain 7/10, strength 5/5 bilaterally."), [])
        XCTAssertEqual(dates("BP 120/80, HR 72."), [])
        XCTAssertEqual(dates("Completed 2/3 of the course."), [])
        XCTAssertEqual(dates("Dose 500 mg in 2021."), [])
        XCTAssertEqual(dates("Version 1.2.3 of the protocol"), [])
        XCTAssertEqual(dates("Values 45/60/75 recorded"), [])
        XCTAssertEqual(dates("Ratio 13/14/2021"), [])  // month and day both above 12
    }
}
