import Foundation

extension WordPieceTokenizer {
    /// Loads the tokenizer of a model folder: `tokenizer.json` when it has a WordPiece model,
    /// otherwise `vocab.txt` (one token a line, id = line number) with the options of an optional
    /// `tokenizer_config.json` (`do_lower_case`, `strip_accents`, `tokenize_chinese_chars`, `unk_token`).
    public static func load(folder: URL) throws -> WordPieceTokenizer {
        let json = folder.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) {
            let root = try TokenizerFileReading.jsonObject(at: json)
            if let model = root["model"] as? [String: Any], model["type"] as? String == "WordPiece" {
                return try fromTokenizerJSON(root, name: json.lastPathComponent)
            }
        }
        let vocabURL = folder.appendingPathComponent("vocab.txt")
        guard FileManager.default.fileExists(atPath: vocabURL.path) else {
            throw EngineError.tokenizer("\(folder.path) has neither a WordPiece tokenizer.json nor a vocab.txt")
        }
        let vocabulary = try vocabulary(fromText: TokenizerFileReading.data(at: vocabURL))
        var config: [String: Any] = [:]
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: configURL.path) {
            config = try TokenizerFileReading.jsonObject(at: configURL)
        }
        return try WordPieceTokenizer(
            vocabulary: vocabulary,
            lowercase: TokenizerFileReading.boolean(config["do_lower_case"], fallback: true),
            stripAccents: config["strip_accents"] as? Bool,
            tokenizeChineseChars: TokenizerFileReading.boolean(config["tokenize_chinese_chars"], fallback: true),
            unknownToken: config["unk_token"] as? String ?? "[UNK]")
    }

    /// A vocabulary from the bytes of a `vocab.txt`: token `n` is line `n` (from 0), without its line
    /// break; a later duplicate wins, as in `transformers`.
    static func vocabulary(fromText data: Data) throws -> [String: Int] {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(lines.count)
        for (index, rawLine) in lines.enumerated() {
            var line = rawLine[...]
            if line.last == 0x0D { line = line.dropLast() }
            vocabulary[String(decoding: line, as: UTF8.self)] = index
        }
        guard !vocabulary.isEmpty else { throw EngineError.tokenizer("vocab.txt is empty") }
        return vocabulary
    }

    /// The tokenizer a parsed `tokenizer.json` with a WordPiece model describes.
    static func fromTokenizerJSON(_ root: [String: Any], name: String) throws -> WordPieceTokenizer {
        guard let model = root["model"] as? [String: Any] else { throw EngineError.tokenizer("\(name) has no \"model\" object") }
        let vocabulary = try TokenizerFileReading.vocabulary(from: model["vocab"], context: "\(name) model.vocab")
        var lowercase = false
        var stripAccents: Bool?
        var chinese = false
        var clean = false
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            guard let object = normalizer as? [String: Any], object["type"] as? String == "BertNormalizer" else {
                let type = (normalizer as? [String: Any])?["type"] as? String ?? "unknown"
                throw EngineError.tokenizer("\(name): normalizer \(type) is not supported (supported: BertNormalizer)")
            }
            lowercase = TokenizerFileReading.boolean(object["lowercase"], fallback: true)
            stripAccents = object["strip_accents"] as? Bool
            chinese = TokenizerFileReading.boolean(object["handle_chinese_chars"], fallback: true)
            clean = TokenizerFileReading.boolean(object["clean_text"], fallback: true)
        } else {
            stripAccents = false
        }
        if let pre = root["pre_tokenizer"], !(pre is NSNull) {
            let type = (pre as? [String: Any])?["type"] as? String ?? "unknown"
            guard type == "BertPreTokenizer" else {
                throw EngineError.tokenizer("\(name): pre-tokenizer \(type) is not supported (supported: BertPreTokenizer)")
            }
        }
        var added: [AddedToken] = []
        if let list = root["added_tokens"] as? [Any] {
            for (index, item) in list.enumerated() {
                guard let object = item as? [String: Any], let content = object["content"] as? String,
                    let id = TokenizerFileReading.integer(object["id"])
                else {
                    throw EngineError.tokenizer("\(name): added_tokens #\(index + 1) needs a string \"content\" and an integer \"id\"")
                }
                added.append(HuggingFaceTokenizerJSON.addedToken(content: content, id: id, options: object, special: false))
            }
        }
        if added.contains(where: \.normalized) {
            throw EngineError.tokenizer("\(name): normalized added tokens are not supported by the WordPiece tokenizer")
        }
        return try WordPieceTokenizer(
            vocabulary: vocabulary, lowercase: lowercase, stripAccents: stripAccents, tokenizeChineseChars: chinese,
            unknownToken: model["unk_token"] as? String ?? "[UNK]",
            maxInputCharsPerWord: TokenizerFileReading.integer(model["max_input_chars_per_word"]) ?? 100,
            continuingPrefix: model["continuing_subword_prefix"] as? String ?? "##",
            addedTokens: added, cleanText: clean)
    }

    /// Writes `vocab.txt` (one token a line, by id) and `tokenizer_config.json` into `folder`
    /// (created if needed), the files `transformers.BertTokenizer` reads.
    ///
    /// - Throws: `EngineError.tokenizer` when the ids are not `0..<n` without gaps (vocab.txt cannot
    ///   hold them), `EngineError.io` when writing fails.
    public func save(to folder: URL) throws {
        var tokens = [String?](repeating: nil, count: vocabularySize)
        for (token, id) in vocabulary {
            if tokens[id].map({ $0 > token }) ?? true { tokens[id] = token }
        }
        for token in addedTokens where vocabulary[token.content] == nil { tokens[token.id] = token.content }
        var text = ""
        for (id, token) in tokens.enumerated() {
            guard let token, !token.contains("\n") else {
                throw EngineError.tokenizer("id \(id) has no token that vocab.txt can hold")
            }
            text += token + "\n"
        }
        var config = TokenizerJSONWriter()
        config.raw("{\n  \"tokenizer_class\": \"BertTokenizer\",\n  \"do_lower_case\": \(lowercase),\n")
        config.raw("  \"strip_accents\": \(stripAccents),\n  \"tokenize_chinese_chars\": \(tokenizeChineseChars),\n  \"unk_token\": ")
        config.string(unknownToken)
        config.raw("\n}\n")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: folder.appendingPathComponent("vocab.txt"), options: .atomic)
            try Data(config.text.utf8).write(to: folder.appendingPathComponent("tokenizer_config.json"), options: .atomic)
        } catch {
            throw EngineError.io(path: folder.path, reason: "cannot write the tokenizer: \(error.localizedDescription)")
        }
    }
}
