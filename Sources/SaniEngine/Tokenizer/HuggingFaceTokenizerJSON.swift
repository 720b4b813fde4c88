import Foundation

/// Reads a Hugging Face `tokenizer.json` whose model is a byte-level BPE.
///
/// Supported: `model.type` BPE with `vocab`, `merges` (`"a b"` strings or `["a", "b"]` pairs),
/// `unk_token`, `ignore_merges`; no normalizer; a `ByteLevel` pre-tokenizer, alone or after a
/// `Digits` one in a `Sequence`; `added_tokens`. Anything else that would change the ids is refused
/// with a message rather than encoded differently from Hugging Face. `dropout` is ignored (encoding
/// is deterministic), and so are the post-processor and decoder (byte-level decoding is assumed).
enum HuggingFaceTokenizerJSON {
    /// The configuration described by the `tokenizer.json` at `url`.
    static func configuration(at url: URL) throws -> ByteLevelBPEConfiguration {
        let root = try TokenizerFileReading.jsonObject(at: url)
        let name = url.lastPathComponent
        guard let model = root["model"] as? [String: Any] else {
            throw EngineError.tokenizer("\(name) has no \"model\" object")
        }
        if let type = model["type"] as? String, type != "BPE" {
            throw EngineError.tokenizer("\(name): model type \(type) is not supported by the byte-level BPE tokenizer")
        }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[field] as? String, !value.isEmpty {
                throw EngineError.tokenizer("\(name): model.\(field) \(ByteLevelBPETokenizer.quoted(value)) is not supported")
            }
        }
        if TokenizerFileReading.boolean(model["byte_fallback"], fallback: false) {
            throw EngineError.tokenizer("\(name): model.byte_fallback is not supported (not a byte-level BPE)")
        }
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            let type = (normalizer as? [String: Any])?["type"] as? String ?? "unknown"
            throw EngineError.tokenizer("\(name): normalizer \(type) is not supported")
        }
        let vocabulary = try TokenizerFileReading.vocabulary(from: model["vocab"], context: "\(name) model.vocab")
        let merges = try TokenizerFileReading.merges(fromJSON: model["merges"], context: "\(name) model.merges")
        let preTokenizer = try self.preTokenizer(from: root["pre_tokenizer"], name: name)
        let addedTokens = try self.addedTokens(from: root["added_tokens"], name: name)
        return ByteLevelBPEConfiguration(
            vocabulary: vocabulary, merges: merges, addedTokens: addedTokens, preTokenizer: preTokenizer,
            unknownToken: model["unk_token"] as? String,
            ignoreMerges: TokenizerFileReading.boolean(model["ignore_merges"], fallback: false))
    }

    private static func preTokenizer(from value: Any?, name: String) throws -> PreTokenizer {
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw EngineError.tokenizer("\(name) has no pre_tokenizer; a byte-level BPE needs a ByteLevel pre-tokenizer")
        }
        switch type {
        case "ByteLevel":
            return byteLevel(object, digits: .none)
        case "Sequence":
            let steps = (object["pretokenizers"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
            let types = steps.map { $0["type"] as? String ?? "?" }
            if types == ["ByteLevel"] { return byteLevel(steps[0], digits: .none) }
            if types == ["Digits", "ByteLevel"] {
                let individual = TokenizerFileReading.boolean(steps[0]["individual_digits"], fallback: false)
                return byteLevel(steps[1], digits: individual ? .individual : .runs)
            }
            throw EngineError.tokenizer("\(name): pre-tokenizer sequence \(types) is not supported (supported: ByteLevel, or Digits then ByteLevel)")
        default:
            throw EngineError.tokenizer("\(name): pre-tokenizer \(type) is not supported (supported: ByteLevel, or Digits then ByteLevel)")
        }
    }

    private static func byteLevel(_ object: [String: Any], digits: PreTokenizer.DigitSplitting) -> PreTokenizer {
        PreTokenizer(
            addPrefixSpace: TokenizerFileReading.boolean(object["add_prefix_space"], fallback: false),
            useRegex: TokenizerFileReading.boolean(object["use_regex"], fallback: true),
            digits: digits)
    }

    private static func addedTokens(from value: Any?, name: String) throws -> [AddedToken] {
        guard let value, !(value is NSNull) else { return [] }
        guard let list = value as? [Any] else { throw EngineError.tokenizer("\(name): added_tokens is not a JSON array") }
        return try list.enumerated().map { index, item in
            guard let object = item as? [String: Any], let content = object["content"] as? String,
                let id = TokenizerFileReading.integer(object["id"])
            else {
                throw EngineError.tokenizer("\(name): added_tokens #\(index + 1) needs a string \"content\" and an integer \"id\"")
            }
            return addedToken(content: content, id: id, options: object, special: false)
        }
    }

    /// An added token from a JSON object with Hugging Face's flags; missing flags take their defaults.
    static func addedToken(content: String, id: Int, options: [String: Any], special: Bool) -> AddedToken {
        let isSpecial = TokenizerFileReading.boolean(options["special"], fallback: special)
        return AddedToken(
            content: content, id: id, special: isSpecial,
            singleWord: TokenizerFileReading.boolean(options["single_word"], fallback: false),
            lstrip: TokenizerFileReading.boolean(options["lstrip"], fallback: false),
            rstrip: TokenizerFileReading.boolean(options["rstrip"], fallback: false),
            normalized: TokenizerFileReading.boolean(options["normalized"], fallback: !isSpecial))
    }
}
