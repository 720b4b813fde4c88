import Foundation

extension ByteLevelBPETokenizer {
    /// Writes the tokenizer into `folder` (created if needed) in the files Hugging Face reads:
    /// `vocab.json`, `merges.txt`, `tokenizer.json`, and, when there are added tokens,
    /// `added_tokens.json` (those missing from the vocabulary) and `special_tokens_map.json`.
    public func save(to folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw EngineError.io(path: folder.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        let entries = vocabulary.map { (token: $0.key, id: $0.value) }.sorted { ($0.id, $0.token) < ($1.id, $1.token) }

        var vocab = TokenizerJSONWriter(reservingCapacity: entries.count * 16)
        vocab.vocabulary(entries, indent: "")
        vocab.raw("\n")
        try write(vocab.text, to: folder.appendingPathComponent("vocab.json"))

        var mergesText = "#version: 0.2\n"
        mergesText.reserveCapacity(merges.count * 12)
        for rule in merges { mergesText += rule.left + " " + rule.right + "\n" }
        try write(mergesText, to: folder.appendingPathComponent("merges.txt"))

        try write(tokenizerJSON(entries: entries), to: folder.appendingPathComponent("tokenizer.json"))

        let extra = addedTokens.filter { vocabulary[$0.content] != $0.id }.sorted { $0.id < $1.id }
        if !extra.isEmpty {
            var added = TokenizerJSONWriter()
            added.vocabulary(extra.map { (token: $0.content, id: $0.id) }, indent: "")
            added.raw("\n")
            try write(added.text, to: folder.appendingPathComponent("added_tokens.json"))
        }
        let specials = addedTokens.filter(\.special)
        if !specials.isEmpty {
            try write(specialTokensMap(specials), to: folder.appendingPathComponent("special_tokens_map.json"))
        }
    }

    private func write(_ text: String, to url: URL) throws {
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw EngineError.io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    private func byteLevelJSON(trimOffsets: Bool) -> String {
        "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(preTokenizer.addPrefixSpace), \"trim_offsets\": \(trimOffsets), \"use_regex\": \(preTokenizer.useRegex)}"
    }

    private func tokenizerJSON(entries: [(token: String, id: Int)]) -> String {
        var json = TokenizerJSONWriter(reservingCapacity: entries.count * 40)
        json.raw("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
        for (index, token) in addedTokens.sorted(by: { $0.id < $1.id }).enumerated() {
            json.raw(index == 0 ? "\n" : ",\n")
            json.raw("    {\"id\": \(token.id), \"content\": ")
            json.string(token.content)
            json.raw(", \"single_word\": \(token.singleWord), \"lstrip\": \(token.lstrip), \"rstrip\": \(token.rstrip)")
            json.raw(", \"normalized\": \(token.normalized), \"special\": \(token.special)}")
        }
        json.raw(addedTokens.isEmpty ? "],\n" : "\n  ],\n")
        json.raw("  \"normalizer\": null,\n  \"pre_tokenizer\": ")
        switch preTokenizer.digits {
        case .none:
            json.raw(byteLevelJSON(trimOffsets: true))
        case .runs, .individual:
            json.raw("{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Digits\", \"individual_digits\": \(preTokenizer.digits == .individual)}, ")
            json.raw(byteLevelJSON(trimOffsets: true) + "]}")
        }
        json.raw(",\n  \"post_processor\": " + byteLevelJSON(trimOffsets: false))
        json.raw(",\n  \"decoder\": " + byteLevelJSON(trimOffsets: true))
        json.raw(",\n  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": ")
        if let unknownToken { json.string(unknownToken) } else { json.raw("null") }
        json.raw(",\n    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n")
        json.raw("    \"byte_fallback\": false,\n    \"ignore_merges\": \(ignoreMerges),\n    \"vocab\": ")
        json.vocabulary(entries, indent: "    ")
        json.raw(",\n    \"merges\": [")
        // "a b" strings are read by every version of `tokenizers`; pairs are needed only when a token has a space.
        let asPairs = merges.contains { $0.left.unicodeScalars.contains(" ") || $0.right.unicodeScalars.contains(" ") }
        for (index, rule) in merges.enumerated() {
            json.raw(index == 0 ? "\n      " : ",\n      ")
            if asPairs {
                json.raw("[")
                json.string(rule.left)
                json.raw(", ")
                json.string(rule.right)
                json.raw("]")
            } else {
                json.string(rule.left + " " + rule.right)
            }
        }
        json.raw(merges.isEmpty ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n")
        return json.text
    }

    /// The special tokens as plain strings (transformers 5 refuses objects in
    /// `additional_special_tokens`); their flags (`lstrip`...) are kept in tokenizer.json.
    private func specialTokensMap(_ specials: [AddedToken]) -> String {
        var json = TokenizerJSONWriter()
        json.raw("{")
        var first = true
        let endOfText = endOfTextID.flatMap { id in specials.first { $0.id == id } }
        if let endOfText {
            json.raw("\n  \"eos_token\": ")
            json.string(endOfText.content)
            first = false
        }
        let others = specials.filter { $0.content != endOfText?.content }.sorted { $0.id < $1.id }
        if !others.isEmpty {
            json.raw(first ? "\n" : ",\n")
            json.raw("  \"additional_special_tokens\": [")
            for (index, token) in others.enumerated() {
                json.raw(index == 0 ? "" : ", ")
                json.string(token.content)
            }
            json.raw("]")
        }
        json.raw("\n}\n")
        return json.text
    }
}
