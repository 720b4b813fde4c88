import XCTest
@testable import Sani
import SaniEngine

/// The rank-based AUC and the min-k % score on hand-made values.
final class MembershipInferenceTests: XCTestCase {
    func testAUCIsOneForPerfectSeparationAndZeroReversed() throws {
        XCTAssertEqual(try XCTUnwrap(MembershipInference.auc(members: [3, 4, 5], nonMembers: [1, 2])), 1)
        XCTAssertEqual(try XCTUnwrap(MembershipInference.auc(members: [1, 2], nonMembers: [3, 4, 5])), 0)
    }

    func testAUCCountsTiesHalf() throws {
        XCTAssertEqual(try XCTUnwrap(MembershipInference.auc(members: [7, 7, 7], nonMembers: [7, 7])), 0.5)
        // Pairs: 2 vs 2 ties (0.5), 2 vs 1, 3 vs 2, 3 vs 1 win: 3.5 of 4.
        XCTAssertEqual(try XCTUnwrap(MembershipInference.auc(members: [2, 3], nonMembers: [2, 1])), 0.875)
        XCTAssertNil(MembershipInference.auc(members: [], nonMembers: [1]))
        XCTAssertNil(MembershipInference.auc(members: [1], nonMembers: []))
    }

    func testAUCByRanksEqualsCountingEveryPair() throws {
        var rng = RandomSource(seed: 11)
        // Few distinct values, so that ties are common.
        let members = (0..<37).map { _ in Double(rng.next() % 9) }
        let nonMembers = (0..<23).map { _ in Double(rng.next() % 7) }
        var wins = 0.0
        for m in members { for n in nonMembers { wins += m > n ? 1 : (m == n ? 0.5 : 0) } }
        let expected = wins / Double(members.count * nonMembers.count)
        XCTAssertEqual(try XCTUnwrap(MembershipInference.auc(members: members, nonMembers: nonMembers)), expected,
                       accuracy: 1e-12)
    }

    func testMinKAveragesTheLowestFractionAndAtLeastOneToken() {
        let logProbabilities: [Float] = [-1, -5, -2, -8, -0.5, -3, -4, -6, -7, -0.25]
        XCTAssertEqual(MembershipInference.minKScore(logProbabilities, k: 0.2), -7.5, accuracy: 1e-9)
        XCTAssertEqual(MembershipInference.minKScore(logProbabilities, k: 0.01), -8, accuracy: 1e-9)
        XCTAssertEqual(MembershipInference.minKScore(logProbabilities, k: 1), -3.675, accuracy: 1e-6)
        XCTAssertEqual(MembershipInference.lossScore(logProbabilities), -3.675, accuracy: 1e-6)
    }

    func testFigureSkipsEmptyRecordsAndNeedsBothSides() throws {
        let figure = try XCTUnwrap(MembershipInference.figure(members: [[-0.1, -0.2], [], [-0.3]],
                                                              nonMembers: [[-2, -3], [-4]], k: 0.2))
        XCTAssertEqual(figure.members, 2)
        XCTAssertEqual(figure.nonMembers, 2)
        XCTAssertEqual(figure.lossAUC, 1)
        XCTAssertEqual(figure.minKAUC, 1)
        XCTAssertNil(MembershipInference.figure(members: [[-1]], nonMembers: [[]], k: 0.2))
    }

    func testExposureCandidatesRedrawOnlyDigits() {
        var rng = RandomSource(seed: 5)
        let text = " MRN 41-0000/7"
        var seen = Set<String>()
        for _ in 0..<50 {
            let c = ExposureCandidates.draw(like: text, using: &rng)
            XCTAssertNotEqual(c, text)
            XCTAssertEqual(c.count, text.count)
            XCTAssertEqual(ExposureCandidates.digitCount(c), 7)
            XCTAssertEqual(c.filter { !$0.isNumber }, text.filter { !$0.isNumber })
            seen.insert(c)
        }
        XCTAssertGreaterThan(seen.count, 40)
        XCTAssertEqual(ExposureCandidates.draw(like: "no digits", using: &rng), "no digits")
    }
}
