import XCTest
@testable import Sani

final class SpanDetectorIdentifierTests: XCTestCase {
    func testSocialSecurityNumbers() {
        XCTAssertEqual(detectedSpans("SSN: 123-45-6789", [.ssn]), ["SSN:123-45-6789"])
        XCTAssertEqual(detectedSpans("Social security number 123 45 6789 on file.", [.ssn]), ["SSN:123 45 6789"])
        XCTAssertEqual(detectedSpans("ssn 123456789", [.ssn]), ["SSN:123456789"])
        XCTAssertEqual(detectedSpans("Code 1234-56-7890", [.ssn]), [])
    }

    func testMedicalRecordNumbers() {
        XCTAssertEqual(detectedSpans("MRN: 00482913", [.medicalRecord]), ["MEDICALRECORD:00482913"])
        XCTAssertEqual(detectedSpans("MR# 4471-22-93 reviewed", [.medicalRecord]), ["MEDICALRECORD:4471-22-93"])
        XCTAssertEqual(detectedSpans("MR #A1234567", [.medicalRecord]), ["MEDICALRECORD:A1234567"])
        XCTAssertEqual(
            detectedSpans("Medical record number is 884412.", [.medicalRecord]), ["MEDICALRECORD:884412"])
        XCTAssertEqual(detectedSpans("medical record no. BH-220913", [.medicalRecord]), ["MEDICALRECORD:BH-220913"])
        XCTAssertEqual(detectedSpans("Med Rec #: 7731942", [.medicalRecord]), ["MEDICALRECORD:7731942"])
        XCTAssertEqual(detectedSpans("Echo: MR no significant change, mild MR 2+.", [.medicalRecord]), [])
        XCTAssertEqual(detectedSpans("Medical records were reviewed.", [.medicalRecord]), [])
    }

    func testMRNWinsOverGenericIdNumber() {
        XCTAssertEqual(detectedSpans("MRN 00482913"), ["MEDICALRECORD:00482913"])
    }

    func testKeywordedNumbers() {
        XCTAssertEqual(detectedSpans("Insurance ID: XJH448812907", [.healthPlan]), ["HEALTHPLAN:XJH448812907"])
        XCTAssertEqual(detectedSpans("Medicare number 1EG4-TE5-MK73", [.healthPlan]), ["HEALTHPLAN:1EG4-TE5-MK73"])
        XCTAssertEqual(detectedSpans("Policy #88120044", [.healthPlan]), ["HEALTHPLAN:88120044"])
        XCTAssertEqual(detectedSpans("Acct no. 55-120934", [.account]), ["ACCOUNT:55-120934"])
        XCTAssertEqual(detectedSpans("Billing account: 000912345", [.account]), ["ACCOUNT:000912345"])
        XCTAssertEqual(detectedSpans("DEA # AB1234563", [.license]), ["LICENSE:AB1234563"])
        XCTAssertEqual(detectedSpans("Driver's license number S530-4417-2290", [.license]), ["LICENSE:S530-4417-2290"])
        XCTAssertEqual(detectedSpans("Pacemaker serial PJN442109", [.device]), ["DEVICE:PJN442109"])
        XCTAssertEqual(detectedSpans("S/N: 88-20-3317", [.device]), ["DEVICE:88-20-3317"])
        XCTAssertEqual(detectedSpans("Patient ID: A7731942", [.idNumber]), ["IDNUM:A7731942"])
    }

    func testKeywordsWithoutIdentifiers() {
        XCTAssertEqual(detectedSpans("Insurance pending; policy changes discussed.", [.healthPlan]), [])
        XCTAssertEqual(detectedSpans("Group B strep negative.", [.healthPlan]), [])
        XCTAssertEqual(detectedSpans("License renewed.", [.license]), [])
    }

    func testGenericLongNumbers() {
        XCTAssertEqual(detectedSpans("Ref 4471223 noted", [.idNumber]), ["IDNUM:4471223"])
        XCTAssertEqual(detectedSpans("Order 20210314-77", [.idNumber]), [])
        XCTAssertEqual(detectedSpans("Cost 1,234,567 and 123456.78", [.idNumber]), [])
        XCTAssertEqual(detectedSpans("Platelets 250000", [.idNumber]), ["IDNUM:250000"])  // shape alone decides
        XCTAssertEqual(detectedSpans("Dose 500 mg, 12345 steps", [.idNumber]), [])
    }
}
