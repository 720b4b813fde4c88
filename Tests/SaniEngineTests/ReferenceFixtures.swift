import Foundation
import XCTest
@testable import SaniEngine

/// Access to the PyTorch reference fixtures committed under `Fixtures/`.
enum ReferenceFixtures {
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("test fixtures are not bundled")
        }
        return url
    }

    static var gpt2Tiny: URL { root.appendingPathComponent("gpt2-tiny") }

    static func json(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func ints(_ value: Any?) throws -> [[Int32]] {
        let rows = try XCTUnwrap(value as? [[NSNumber]])
        return rows.map { $0.map { Int32(truncating: $0) } }
    }

    static func floats(_ value: Any?) throws -> [[Float]] {
        let rows = try XCTUnwrap(value as? [[NSNumber]])
        return rows.map { $0.map { Float(truncating: $0) } }
    }
}

/// Asserts `actual ≈ expected` element-wise: `|a − e| ≤ rtol·|e| + atolFraction·max|e|`.
func assertClose(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-4, atolFraction: Float = 1e-5,
                 _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(what): sizes differ", file: file, line: line)
    guard actual.count == expected.count else { return }
    let scale = expected.map { abs($0) }.max() ?? 0
    var worst: (index: Int, excess: Float) = (-1, 0)
    for i in 0..<expected.count {
        let allowed = rtol * abs(expected[i]) + atolFraction * scale
        let err = abs(actual[i] - expected[i])
        if !(err <= allowed) && (worst.index < 0 || err / max(allowed, 1e-30) > worst.excess) {
            worst = (i, err / max(allowed, 1e-30))
        }
    }
    if worst.index >= 0 {
        XCTFail("\(what): element \(worst.index) is \(actual[worst.index]), expected \(expected[worst.index])",
                file: file, line: line)
    }
}
