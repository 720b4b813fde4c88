import Foundation

extension ByteLevelBPETokenizer {
    /// Loads a Hugging Face `tokenizer.json` (see `HuggingFaceTokenizerJSON` for what is supported).
    public static func load(tokenizerJSON url: URL) throws -> ByteLevelBPETokenizer {
        try HuggingFaceTokenizerJSON.configuration(at: url).makeTokenizer()
    }

    /// Loads GPT-2-style `vocab.json` and `merges.txt` with the GPT-2 pre-tokenizer.
    ///
    /// `<|endoftext|>`, when the vocabulary has it, is a special token (as Hugging Face's GPT-2
    /// tokenizer makes it) unless `addedTokens` says otherwise.
    public static func load(vocabJSON: URL, mergesTXT: URL, addedTokens: [AddedToken] = []) throws -> ByteLevelBPETokenizer {
        var configuration = try vocabularyFilesConfiguration(vocabJSON: vocabJSON, mergesTXT: mergesTXT)
        for token in addedTokens { configuration.addOrUpdate(token) }
        return try configuration.makeTokenizer()
    }

    /// Loads the tokenizer of a Hugging Face model folder: `tokenizer.json` when present, else
    /// `vocab.json` + `merges.txt`; then `added_tokens.json` and `special_tokens_map.json` when present
    /// (their tokens become added tokens; special tokens missing from the vocabulary get new ids after
    /// the last one, as `transformers` does; `eos_token` is the end-of-text token when the tokenizer
    /// has no `<|endoftext|>`).
    public static func load(folder: URL) throws -> ByteLevelBPETokenizer {
        let fileManager = FileManager.default
        let tokenizerJSON = folder.appendingPathComponent("tokenizer.json")
        let vocabJSON = folder.appendingPathComponent("vocab.json")
        let mergesTXT = folder.appendingPathComponent("merges.txt")
        var configuration: ByteLevelBPEConfiguration
        if fileManager.fileExists(atPath: tokenizerJSON.path) {
            configuration = try HuggingFaceTokenizerJSON.configuration(at: tokenizerJSON)
        } else if fileManager.fileExists(atPath: vocabJSON.path), fileManager.fileExists(atPath: mergesTXT.path) {
            configuration = try vocabularyFilesConfiguration(vocabJSON: vocabJSON, mergesTXT: mergesTXT)
        } else {
            throw EngineError.io(path: folder.path, reason: "no tokenizer.json, nor vocab.json with merges.txt, in this folder")
        }
        let addedTokensJSON = folder.appendingPathComponent("added_tokens.json")
        if fileManager.fileExists(atPath: addedTokensJSON.path) {
            try applyAddedTokensFile(addedTokensJSON, to: &configuration)
        }
        let specialTokensMap = folder.appendingPathComponent("special_tokens_map.json")
        if fileManager.fileExists(atPath: specialTokensMap.path) {
            try applySpecialTokensMap(specialTokensMap, to: &configuration)
        }
        return try configuration.makeTokenizer()
    }

    private static func vocabularyFilesConfiguration(vocabJSON: URL, mergesTXT: URL) throws -> ByteLevelBPEConfiguration {
        let vocabulary = try TokenizerFileReading.vocabulary(
            from: try TokenizerFileReading.jsonObject(at: vocabJSON), context: vocabJSON.lastPathComponent)
        let merges = try TokenizerFileReading.merges(fromText: try TokenizerFileReading.data(at: mergesTXT), path: mergesTXT.lastPathComponent)
        var configuration = ByteLevelBPEConfiguration(vocabulary: vocabulary, merges: merges)
        if let id = vocabulary["<|endoftext|>"] {
            configuration.addedTokens.append(AddedToken(content: "<|endoftext|>", id: id, special: true))
        }
        return configuration
    }

    /// `added_tokens.json`: an object of token to id; the tokens are added as non-special.
    private static func applyAddedTokensFile(_ url: URL, to configuration: inout ByteLevelBPEConfiguration) throws {
        let entries = try TokenizerFileReading.vocabulary(from: try TokenizerFileReading.jsonObject(at: url), context: url.lastPathComponent)
        for (content, id) in entries.sorted(by: { $0.value < $1.value })
        where !configuration.addedTokens.contains(where: { $0.content == content }) {
            configuration.addedTokens.append(AddedToken(content: content, id: id, special: false))
        }
    }

    /// `special_tokens_map.json`: role (`eos_token`, ...) to a token given as a string or as an object
    /// with `content` and flags; `additional_special_tokens` is a list of those. A token given as a
    /// string keeps the flags it already has; one given as an object takes the object's flags.
    private static func applySpecialTokensMap(_ url: URL, to configuration: inout ByteLevelBPEConfiguration) throws {
        let map = try TokenizerFileReading.jsonObject(at: url)
        var endOfText: String?
        for role in map.keys.sorted() {
            guard let value = map[role] else { continue }
            let values: [Any] = role == "additional_special_tokens" ? (value as? [Any] ?? []) : [value]
            for value in values where !(value is NSNull) {
                let content: String
                let options: [String: Any]?
                if let text = value as? String, !text.isEmpty {
                    content = text
                    options = nil
                } else if let object = value as? [String: Any], let text = object["content"] as? String, !text.isEmpty {
                    content = text
                    options = object
                } else {
                    throw EngineError.tokenizer("\(url.lastPathComponent): \(role) is neither a token string nor an object with \"content\"")
                }
                let existing = configuration.addedTokens.first { $0.content == content }
                let id = existing?.id ?? configuration.vocabulary[content] ?? configuration.nextFreeID
                var token: AddedToken
                if let options {
                    token = HuggingFaceTokenizerJSON.addedToken(content: content, id: id, options: options, special: true)
                    token.special = true
                } else if let existing {
                    token = existing
                    token.special = true
                } else {
                    token = AddedToken(content: content, id: id, special: true)
                }
                configuration.addOrUpdate(token)
                if role == "eos_token" { endOfText = content }
            }
        }
        let hasEndOfText = configuration.vocabulary["<|endoftext|>"] != nil
            || configuration.addedTokens.contains { $0.content == "<|endoftext|>" }
        if !hasEndOfText, configuration.endOfTextToken == nil { configuration.endOfTextToken = endOfText }
    }
}
