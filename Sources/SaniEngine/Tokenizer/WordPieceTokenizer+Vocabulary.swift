extension WordPieceTokenizer {
    /// A lower-cased WordPiece vocabulary made from `texts`, for a model trained from scratch on them: BERT's
    /// special tokens, every character seen (alone and as a `##` continuation, so every word can be cut), then
    /// the words seen at least `minimumCount` times, most frequent first, at most `maxWords`. Rare words —
    /// names, record numbers — are cut into pieces, as a general vocabulary cuts them.
    public static func vocabulary(fromTexts texts: [String], maxWords: Int, minimumCount: Int = 3) -> [String: Int] {
        var characters = Set<String>()
        var counts: [String: Int] = [:]
        for text in texts {
            var word = ""
            for ch in text.lowercased() {
                if ch.isLetter || ch.isNumber {
                    word.append(ch)
                    characters.insert(String(ch))
                } else {
                    if !word.isEmpty { counts[word, default: 0] += 1; word = "" }
                    if !ch.isWhitespace { characters.insert(String(ch)) }
                }
            }
            if !word.isEmpty { counts[word, default: 0] += 1 }
        }
        let sortedCharacters = characters.sorted()
        var tokens = bertSpecialTokens + sortedCharacters + sortedCharacters.map { "##" + $0 }
        tokens += counts.filter { $0.value >= minimumCount && $0.key.count > 1 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(maxWords).map(\.key)
        var vocabulary: [String: Int] = [:]
        for token in tokens where vocabulary[token] == nil { vocabulary[token] = vocabulary.count }
        return vocabulary
    }
}
