import Foundation

/// Reading of tokenizer files: raw bytes and JSON, with errors that name the file.
enum TokenizerFileReading {
    /// The bytes of the file at `url`.
    static func data(at url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "\(error.localizedDescription)" : "no such file"
            throw EngineError.io(path: url.path, reason: reason)
        }
    }

    /// The top-level JSON object of the file at `url`.
    static func jsonObject(at url: URL) throws -> [String: Any] {
        let bytes = try data(at: url)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: bytes, options: [])
        } catch {
            throw EngineError.tokenizer("\(url.lastPathComponent) (\(url.path)) is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw EngineError.tokenizer("\(url.lastPathComponent) (\(url.path)) is not a JSON object")
        }
        return object
    }

    /// A vocabulary (token to id) from a JSON object; `context` names it in errors.
    static func vocabulary(from value: Any?, context: String) throws -> [String: Int] {
        guard let object = value as? [String: Any] else {
            throw EngineError.tokenizer("\(context) is missing or is not a JSON object of token to id")
        }
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(object.count)
        for (token, id) in object {
            guard let id = integer(id) else {
                throw EngineError.tokenizer("\(context): token \(ByteLevelBPETokenizer.quoted(token)) has a non-integer id")
            }
            vocabulary[token] = id
        }
        return vocabulary
    }

    /// The class Foundation's JSON parser uses for `true` and `false` (numbers bridge to `Bool` too,
    /// so `is Bool` cannot tell them apart).
    private static let booleanClass = ObjectIdentifier(type(of: NSNumber(value: true)))

    /// An integer JSON value (not a boolean, not a fraction).
    static func integer(_ value: Any?) -> Int? {
        guard let value else { return nil }
        if ObjectIdentifier(type(of: value)) == booleanClass { return nil }
        if let number = value as? Int { return number }
        return nil
    }

    /// A boolean JSON value, or `fallback` when absent or null.
    static func boolean(_ value: Any?, fallback: Bool) -> Bool {
        if let flag = value as? Bool { return flag }
        return fallback
    }

    /// Merge rules from the lines of a `merges.txt` file: an optional `#version` line, then one
    /// `left right` pair a line.
    static func merges(fromText data: Data, path: String) throws -> [BPEMergeRule] {
        var rules: [BPEMergeRule] = []
        var lineNumber = 0
        for rawLine in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine[...]
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { continue }
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("#version") { continue }
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw EngineError.tokenizer("\(path) line \(lineNumber): expected two tokens separated by one space, found \(ByteLevelBPETokenizer.quoted(text))")
            }
            rules.append(BPEMergeRule(String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self)))
        }
        return rules
    }

    /// Merge rules from `tokenizer.json`'s `model.merges`: `"left right"` strings or `["left", "right"]` pairs.
    static func merges(fromJSON value: Any?, context: String) throws -> [BPEMergeRule] {
        guard let list = value as? [Any] else {
            throw EngineError.tokenizer("\(context) is missing or is not a JSON array")
        }
        var rules: [BPEMergeRule] = []
        rules.reserveCapacity(list.count)
        for (index, item) in list.enumerated() {
            if let text = item as? String {
                let parts = text.unicodeScalars.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw EngineError.tokenizer("\(context) #\(index + 1) \(ByteLevelBPETokenizer.quoted(text)) is not two tokens separated by a space")
                }
                rules.append(BPEMergeRule(String(String.UnicodeScalarView(parts[0])), String(String.UnicodeScalarView(parts[1]))))
            } else if let pair = item as? [Any], pair.count == 2, let left = pair[0] as? String, let right = pair[1] as? String {
                rules.append(BPEMergeRule(left, right))
            } else {
                throw EngineError.tokenizer("\(context) #\(index + 1) is neither a \"left right\" string nor a [left, right] pair")
            }
        }
        return rules
    }
}
