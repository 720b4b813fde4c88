import Foundation
import XCTest
@testable import Sani
import SaniEngine

/// Small BERT models for the method's tests: a WordPiece vocabulary made from the corpus itself (special tokens,
/// every character alone and as a `##` continuation, and the corpus's frequent words), so that rare words —
/// names, record numbers — are cut into pieces as they are by a real clinical vocabulary.
enum BertTestSupport {
    static func vocabulary(for texts: [String], words maxWords: Int) -> [String: Int] {
        var tokens = WordPieceTokenizer.bertSpecialTokens
        var characters = Set<String>()
        var counts: [String: Int] = [:]
        for text in texts {
            var word = ""
            for ch in text.lowercased() {
                if ch.isLetter || ch.isNumber {
                    word.append(ch)
                } else {
                    if !word.isEmpty { counts[word, default: 0] += 1; word = "" }
                    if !ch.isWhitespace { characters.insert(String(ch)) }
                }
                if ch.isLetter || ch.isNumber { characters.insert(String(ch)) }
            }
            if !word.isEmpty { counts[word, default: 0] += 1 }
        }
        let sortedCharacters = characters.sorted()
        tokens += sortedCharacters
        tokens += sortedCharacters.map { "##" + $0 }
        let frequent = counts.filter { $0.value >= 3 && $0.key.count > 1 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(maxWords).map(\.key)
        tokens += frequent
        var vocabulary: [String: Int] = [:]
        for token in tokens where vocabulary[token] == nil { vocabulary[token] = vocabulary.count }
        return vocabulary
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
