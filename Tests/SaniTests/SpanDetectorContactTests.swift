import XCTest
@testable import Sani

final class SpanDetectorContactTests: XCTestCase {
    func testPhoneNumbers() {
        XCTAssertEqual(detectedSpans("Call (617) 555-0199 with results.", [.phone]), ["PHONE:(617) 555-0199"])
        XCTAssertEqual(detectedSpans("Daughter's cell 617.555.0123", [.phone]), ["PHONE:617.555.0123"])
        XCTAssertEqual(detectedSpans("Reach at +1 617 555 0100 ext. 221.", [.phone]), ["PHONE:+1 617 555 0100 ext. 221"])
        XCTAssertEqual(detectedSpans("UK contact +44 20 7946 0958.", [.phone]), ["PHONE:+44 20 7946 0958"])
        XCTAssertEqual(detectedSpans("tel: 555-0147", [.phone]), ["PHONE:555-0147"])
        XCTAssertEqual(detectedSpans("Page Dr. Kim, pager 41277.", [.phone]), ["PHONE:41277"])
    }

    func testFaxIsTellsApartFromPhone() {
        XCTAssertEqual(
            detectedSpans("Phone 617-555-0100, fax 617-555-0101.", [.phone]),
            ["PHONE:617-555-0100", "FAX:617-555-0101"])
        XCTAssertEqual(detectedSpans("Fax: (508) 555-0177", [.phone]), ["FAX:(508) 555-0177"])
        XCTAssertEqual(
            detectedSpans("fax 617-555-0101 / phone 617-555-0100", [.phone]),
            ["FAX:617-555-0101", "PHONE:617-555-0100"])
    }

    func testNotPhoneNumbers() {
        XCTAssertEqual(detectedSpans("WBC 12.5, Hgb 10.2, Plt 250", [.phone]), [])
        XCTAssertEqual(detectedSpans("SSN 123-45-6789", [.phone]), [])
        XCTAssertEqual(detectedSpans("Dated 2021-03-14", [.phone]), [])
        XCTAssertEqual(detectedSpans("Call 911 if worse.", [.phone]), [])
    }

    func testEmails() {
        XCTAssertEqual(
            detectedSpans("Send records to jane.doe+records@mgh.harvard.edu today.", [.email]),
            ["EMAIL:jane.doe+records@mgh.harvard.edu"])
        XCTAssertEqual(detectedSpans("Écrire à josé.martin@clinique.fr.", [.email]), ["EMAIL:josé.martin@clinique.fr"])
        XCTAssertEqual(detectedSpans("Result @ 5pm, ratio 3@4", [.email]), [])
    }

    func testURLs() {
        XCTAssertEqual(
            detectedSpans("See https://mychart.example.org/visit?id=88 (portal).", [.url]),
            ["URL:https://mychart.example.org/visit?id=88"])
        XCTAssertEqual(detectedSpans("Info at www.heartclinic.com.", [.url]), ["URL:www.heartclinic.com"])
        XCTAssertEqual(detectedSpans("Registered on carenotes.org/patients", [.url]), ["URL:carenotes.org/patients"])
        XCTAssertEqual(detectedSpans("(see http://wiki.example.net/a_(b))", [.url]), ["URL:http://wiki.example.net/a_(b)"])
        XCTAssertEqual(detectedSpans("Na 140 mmol/L, K 4.1", [.url]), [])
    }

    func testIPAddresses() {
        XCTAssertEqual(detectedSpans("Login from 192.168.10.21.", [.ipAddress]), ["IPADDR:192.168.10.21"])
        XCTAssertEqual(
            detectedSpans("Device at 2001:0db8:85a3:0000:0000:8a2e:0370:7334 and fe80::1ff:fe23:4567:890a", [.ipAddress]),
            ["IPADDR:2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IPADDR:fe80::1ff:fe23:4567:890a"])
        XCTAssertEqual(detectedSpans("Seen at 10:30:45, ratio 1:2, 300.1.1.1", [.ipAddress]), [])
        XCTAssertEqual(detectedSpans("Dated 14.03.2021", [.ipAddress]), [])
    }
}
