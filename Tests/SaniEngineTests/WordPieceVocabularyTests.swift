import XCTest
@testable import SaniEngine

/// A WordPiece vocabulary made from a corpus: every text can be tokenized, frequent words stay whole.
final class WordPieceVocabularyTests: XCTestCase {
    func testFrequentWordsStayWholeAndRareOnesAreCutIntoPieces() throws {
        let texts = Array(repeating: "Patient seen today; patient stable.", count: 3) + ["Patient Zoltan Kovacs, MRN 4417."]
        let vocabulary = WordPieceTokenizer.vocabulary(fromTexts: texts, maxWords: 10)
        XCTAssertEqual(WordPieceTokenizer.bertSpecialTokens.map { vocabulary[$0] }, [0, 1, 2, 3, 4])
        XCTAssertNotNil(vocabulary["patient"])
        XCTAssertNil(vocabulary["zoltan"], "seen once")
        XCTAssertNotNil(vocabulary["##z"])
        XCTAssertEqual(Set(vocabulary.values).count, vocabulary.count, "ids are distinct")
        XCTAssertEqual(vocabulary.values.max(), vocabulary.count - 1, "ids are dense")
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.encode("patient"), [vocabulary["patient"]!])
        let pieces = tokenizer.encode("Zoltan 4417").map { tokenizer.token($0) ?? "?" }
        XCTAssertEqual(pieces, ["z", "##o", "##l", "##t", "##a", "##n", "4", "##4", "##1", "##7"])
        XCTAssertFalse(tokenizer.encode(texts[3]).contains(tokenizer.unknownID))
        XCTAssertEqual(WordPieceTokenizer.vocabulary(fromTexts: texts, maxWords: 0)["patient"], nil)
    }
}
