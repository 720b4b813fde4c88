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

    func testAUCStandardErrorOnHandValues() throws {
        // Pairs (1,2) 0, (1,4) 0, (3,2) 1, (3,4) 0: AUC 0.25; member shares 0, 0.5 and non-member shares 0.5, 0,
        // each of variance 0.125: (0.125 / 2 + 0.125 / 2)^0.5.
        XCTAssertEqual(try XCTUnwrap(MembershipInference.aucStandardError(members: [1, 3], nonMembers: [2, 4])),
                       0.125.squareRoot(), accuracy: 1e-12)
        // Ties count half: shares 0.25, 0.75 on both sides.
        XCTAssertEqual(try XCTUnwrap(MembershipInference.aucStandardError(members: [1, 2], nonMembers: [1, 2])),
                       0.125.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(MembershipInference.aucStandardError(members: [3, 4, 5], nonMembers: [1, 2])), 0)
        XCTAssertNil(MembershipInference.aucStandardError(members: [1], nonMembers: [2, 3]))
        XCTAssertNil(MembershipInference.aucStandardError(members: [1, 2], nonMembers: [3]))
    }

    func testAUCStandardErrorEqualsDeLongByEveryPair() throws {
        var rng = RandomSource(seed: 5)
        let members = (0..<29).map { _ in Double(rng.next() % 8) }
        let nonMembers = (0..<13).map { _ in Double(rng.next() % 6) }
        func psi(_ m: Double, _ n: Double) -> Double { m > n ? 1 : (m == n ? 0.5 : 0) }
        let v10 = members.map { m in nonMembers.reduce(0) { $0 + psi(m, $1) } / Double(nonMembers.count) }
        let v01 = nonMembers.map { n in members.reduce(0) { $0 + psi($1, n) } / Double(members.count) }
        let auc = try XCTUnwrap(MembershipInference.auc(members: members, nonMembers: nonMembers))
        XCTAssertEqual(v10.reduce(0, +) / Double(v10.count), auc, accuracy: 1e-12)
        let s10 = v10.reduce(0) { $0 + ($1 - auc) * ($1 - auc) } / Double(v10.count - 1)
        let s01 = v01.reduce(0) { $0 + ($1 - auc) * ($1 - auc) } / Double(v01.count - 1)
        let expected = (s10 / Double(members.count) + s01 / Double(nonMembers.count)).squareRoot()
        XCTAssertEqual(try XCTUnwrap(MembershipInference.aucStandardError(members: members, nonMembers: nonMembers)),
                       expected, accuracy: 1e-12)
    }

    /// The standard error says how far AUCs read from independent draws of 40 members and 10 non-members
    /// scatter: over 400 draws of two shifted normal groups, its mean is within 20 % of the AUCs' spread.
    func testAUCStandardErrorMatchesTheScatterOfRepeatedReadings() throws {
        var rng = RandomSource(seed: 29)
        func uniform() -> Double { (Double(rng.next() >> 11) + 0.5) / 9_007_199_254_740_992 }
        func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
        var aucs: [Double] = [], errors: [Double] = []
        for _ in 0..<400 {
            let members = (0..<40).map { _ in normal() + 0.8 }, nonMembers = (0..<10).map { _ in normal() }
            aucs.append(try XCTUnwrap(MembershipInference.auc(members: members, nonMembers: nonMembers)))
            errors.append(try XCTUnwrap(MembershipInference.aucStandardError(members: members, nonMembers: nonMembers)))
        }
        let mean = aucs.reduce(0, +) / Double(aucs.count)
        let spread = (aucs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(aucs.count - 1)).squareRoot()
        let meanError = errors.reduce(0, +) / Double(errors.count)
        XCTAssertEqual(meanError / spread, 1, accuracy: 0.2, "mean standard error \(meanError), spread \(spread)")
        XCTAssertGreaterThan(spread, 0.05, "10 non-members leave an AUC uncertain")
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
        XCTAssertEqual(figure.lossAUCStandardError, 0, "perfect separation leaves no scatter")
        XCTAssertEqual(figure.minKAUCStandardError, 0)
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
