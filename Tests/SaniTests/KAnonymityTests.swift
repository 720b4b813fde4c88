import XCTest
@testable import Sani

final class KAnonymityTests: XCTestCase {
    /// Four patients; "walks" is used by two of them, "diabetes" and "asthma" by three.
    private let corpus = Corpus(records: [
        CorpusRecord(text: "Quigley has diabetes", subject: "p1"),
        CorpusRecord(text: "QUIGLEY walks daily", subject: "p1"),
        CorpusRecord(text: "Brown has diabetes and asthma", subject: "p2"),
        CorpusRecord(text: "Green has asthma", subject: "p3"),
        CorpusRecord(text: "Green walks", subject: "p3"),
        CorpusRecord(text: "Diabetes and asthma", subject: "p4"),
    ])

    func testKTwoFlagsWordsOfASingleSubject() {
        let detector = KAnonymityDetector(k: 2)
        XCTAssertEqual(detector.sensitiveWords(in: corpus), ["quigley", "brown", "green"])
        let spans = detector.spans(in: corpus)
        XCTAssertEqual(spans[1], [SensitiveSpan(start: 0, end: 7, label: "INDIRECT", source: .kAnonymity)])
        XCTAssertEqual(spans[5], [])
    }

    func testKThreeAlsoFlagsWordsOfTwoSubjects() {
        let detector = KAnonymityDetector(k: 3)
        XCTAssertEqual(detector.sensitiveWords(in: corpus), ["quigley", "brown", "green", "walks"])
        XCTAssertEqual(detector.spans(in: corpus)[1].map { $0.text(in: corpus.records[1].text) }, ["QUIGLEY", "walks"])
        XCTAssertEqual(KAnonymityDetector(k: 4).sensitiveWords(in: corpus).count, 6)
    }

    func testSubjectCountsAreCappedAtK() {
        let counts = KAnonymityDetector(k: 2).subjectCounts(in: corpus)
        XCTAssertEqual(counts["quigley"], 1)
        XCTAssertEqual(counts["diabetes"], 2)
        XCTAssertNil(counts["has"])  // a stop word is not a candidate
    }

    func testRecordsWithoutSubjectCountAsTheirOwnSubject() {
        var records = corpus.records
        records.append(CorpusRecord(text: "Zyxel pump note"))
        records.append(CorpusRecord(text: "Zyxel pump checked"))
        records.append(CorpusRecord(text: "Brown mentioned"))
        records.append(CorpusRecord(text: "Quigley's cousin"))
        let words = KAnonymityDetector(k: 2).sensitiveWords(in: Corpus(records: records))
        // "zyxel" and "pump": two subject-less records, so two subjects. "brown" is now shared by p2 and a
        // subject-less record. "quigley's" is its own word (apostrophe inside), used once.
        XCTAssertFalse(words.contains("zyxel"))
        XCTAssertFalse(words.contains("pump"))
        XCTAssertFalse(words.contains("brown"))
        XCTAssertTrue(words.contains("quigley"))
        XCTAssertTrue(words.contains("quigley's"))
        XCTAssertTrue(words.contains("mentioned"))
        XCTAssertTrue(words.contains("cousin"))
        XCTAssertTrue(words.contains("checked"))
    }

    func testACorpusWithoutSubjectsFlagsWordsOfASingleRecord() {
        let corpus = Corpus(records: [
            CorpusRecord(text: "Seen at Lakeside Manor"), CorpusRecord(text: "Seen at home"),
        ])
        XCTAssertEqual(KAnonymityDetector().sensitiveWords(in: corpus), ["lakeside", "manor"])
    }

    func testNumbersShortWordsApostrophesAndStopWords() {
        let corpus = Corpus(records: [
            CorpusRecord(text: "O’Brien, room 4B, bed 2, since 2019; the patient is X", subject: "a"),
            CorpusRecord(text: "Nothing here", subject: "b"),
        ])
        let defaults = KAnonymityDetector()
        let words = defaults.sensitiveWords(in: corpus)
        XCTAssertEqual(words, ["o'brien", "4b", "bed", "nothing"])  // "room", "since", "here"... are stop words
        let text = corpus.records[0].text
        XCTAssertEqual(defaults.spans(in: text, sensitiveWords: words).map { $0.text(in: text) }, ["O’Brien", "4B", "bed"])

        let withNumbers = KAnonymityDetector(ignoreNumbers: false, minimumLength: 1)
        let all = withNumbers.sensitiveWords(in: corpus)
        XCTAssertTrue(all.isSuperset(of: ["2019", "2", "x"]))

        let custom = KAnonymityDetector(stopWords: ["O'BRIEN", "Nothing", "HERE"])
        let customWords = custom.sensitiveWords(in: corpus)
        XCTAssertFalse(customWords.contains("o'brien"))
        XCTAssertTrue(customWords.contains("patient"))  // no longer a stop word
    }

    func testParameterValidation() {
        XCTAssertThrowsError(try KAnonymityDetector(k: 0).validate())
        XCTAssertThrowsError(try KAnonymityDetector(minimumLength: 0).validate())
        XCTAssertNoThrow(try KAnonymityDetector(k: 1).validate())
        XCTAssertEqual(KAnonymityDetector(k: 1).sensitiveWords(in: corpus), [])
    }
}
