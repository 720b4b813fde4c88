import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// Small BERT models for the method's tests, with a WordPiece vocabulary made from the corpus itself.
enum BertTestSupport {
    static func vocabulary(for texts: [String], words maxWords: Int) -> [String: Int] {
        WordPieceTokenizer.vocabulary(fromTexts: texts, maxWords: maxWords)
    }

    /// Saves a randomly initialised BERT with a vocabulary of `corpus` into a new folder.
    static func tinyModelFolder(corpus: Corpus, layers: Int = 2, hidden: Int = 64, heads: Int = 4,
                                intermediate: Int = 256, positions: Int = 512, seed: UInt64 = 1) throws -> URL {
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary(for: corpus.records.map(\.text), words: 1500))
        let config = BertConfig(vocabularySize: tokenizer.vocabularySize, hiddenSize: hidden, layers: layers,
                                heads: heads, intermediateSize: intermediate, maxPositions: positions)
        let model = try BertModel(config: config)
        model.initializeRandomly(seed: seed)
        let folder = try MethodTestSupport.temporaryFolder("sani-bert")
        try model.save(to: folder)
        try tokenizer.save(to: folder)
        return folder
    }
}
