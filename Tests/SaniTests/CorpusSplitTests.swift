import XCTest
@testable import Sani

final class CorpusSplitTests: XCTestCase {
    /// 40 subjects with 1 to 4 notes each, interleaved, plus 10 notes without subject.
    private func corpus() -> Corpus {
        var records: [CorpusRecord] = []
        for round in 0..<4 {
            for patient in 0..<40 where patient % 4 >= round {
                records.append(CorpusRecord(text: "Note \(round) for patient \(patient).", subject: "patient-\(patient)"))
            }
        }
        for anonymous in 0..<10 {
            records.append(CorpusRecord(text: "Unsigned note \(anonymous)."))
        }
        return Corpus(records: records)
    }

    func testSplitIsDeterministicAndKeepsSubjectsTogether() {
        let corpus = corpus()
        let (train, heldOut) = corpus.split(heldOutFraction: 0.2, seed: 42)
        let (train2, heldOut2) = corpus.split(heldOutFraction: 0.2, seed: 42)
        XCTAssertEqual(train, train2)
        XCTAssertEqual(heldOut, heldOut2)
        XCTAssertEqual(train.records.count + heldOut.records.count, corpus.records.count)

        let trainSubjects = Set(train.records.compactMap(\.subject))
        let heldOutSubjects = Set(heldOut.records.compactMap(\.subject))
        XCTAssertTrue(trainSubjects.isDisjoint(with: heldOutSubjects))
        XCTAssertFalse(heldOutSubjects.isEmpty)

        // Close to the asked fraction (whole subjects are moved, so not exactly).
        let fraction = Double(heldOut.records.count) / Double(corpus.records.count)
        XCTAssertEqual(fraction, 0.2, accuracy: 0.06)

        // Records keep the file order on each side.
        let positions = train.records.map { record in corpus.records.firstIndex(of: record) ?? -1 }
        XCTAssertEqual(positions, positions.sorted())
    }

    func testDifferentSeedsGiveDifferentSplits() {
        let corpus = corpus()
        let a = corpus.split(heldOutFraction: 0.3, seed: 1).heldOut
        let b = corpus.split(heldOutFraction: 0.3, seed: 2).heldOut
        XCTAssertNotEqual(a, b)
    }

    func testEdgeFractions() {
        let corpus = corpus()
        XCTAssertEqual(corpus.split(heldOutFraction: 0, seed: 7).heldOut.records.count, 0)
        XCTAssertEqual(corpus.split(heldOutFraction: 1, seed: 7).train.records.count, 0)
        XCTAssertEqual(corpus.split(heldOutFraction: -3, seed: 7).train, corpus)
        XCTAssertEqual(corpus.split(heldOutFraction: .nan, seed: 7).train, corpus)

        // A tiny fraction still holds one group out; a large one keeps one group for training.
        let small = Corpus(records: (0..<5).map { CorpusRecord(text: "note \($0)") })
        XCTAssertEqual(small.split(heldOutFraction: 0.01, seed: 3).heldOut.records.count, 1)
        XCTAssertEqual(small.split(heldOutFraction: 0.99, seed: 3).train.records.count, 1)

        // One subject only: it cannot be split, so everything stays for training.
        let single = Corpus(records: (0..<3).map { CorpusRecord(text: "note \($0)", subject: "p1") })
        XCTAssertEqual(single.split(heldOutFraction: 0.5, seed: 3).train.records.count, 3)
    }

    func testRecordsWithoutSubjectAreSplitOneByOne() {
        let corpus = Corpus(records: (0..<100).map { CorpusRecord(text: "note \($0)") })
        let (train, heldOut) = corpus.split(heldOutFraction: 0.25, seed: 9)
        XCTAssertEqual(heldOut.records.count, 25)
        XCTAssertEqual(train.records.count, 75)
    }

    func testStatistics() {
        let stats = corpus().statistics
        XCTAssertEqual(stats.subjects, 40)
        XCTAssertEqual(stats.recordsWithoutSubject, 10)
        XCTAssertEqual(stats.records, 10 * (1 + 2 + 3 + 4) + 10)
    }
}
