import Foundation

/// The file formats of a terms file.
public enum TermListFormat: String, Sendable, CaseIterable, Codable {
    /// One term a line; `TERM<TAB>LABEL` gives a label; blank lines and lines starting with `#` are skipped.
    case text
    /// `["term", ...]`, `[{"term": "...", "label": "..."}, ...]` (label optional), or `{"term": "label", ...}`.
    case json

    /// The format of a file: `.json` → JSON, `.txt`/`.tsv`/`.text`/`.lst` → text, else JSON when the first
    /// non-blank character is `[` or `{`.
    public static func infer(url: URL, data: Data) -> TermListFormat {
        switch url.pathExtension.lowercased() {
        case "json": return .json
        case "txt", "tsv", "text", "lst": return .text
        default:
            for byte in data {
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF: continue
                case UInt8(ascii: "["), UInt8(ascii: "{"): return .json
                default: return .text
                }
            }
            return .text
        }
    }
}

extension TermList {
    /// Reads a terms file; the format comes from the extension or the content (see `TermListFormat.infer`).
    public static func load(url: URL, caseSensitive: Bool = false) throws -> TermList {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SaniError.io(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data: data, format: TermListFormat.infer(url: url, data: data), caseSensitive: caseSensitive)
    }

    /// Parses a terms file held in memory. Throws `SaniError.invalidTerms` with the line (text) or the
    /// entry (JSON) at fault, and when the file holds no term.
    public static func parse(data: Data, format: TermListFormat, caseSensitive: Bool = false) throws -> TermList {
        let text = try UTF8TextDecoder.decode(data) { line, reason in
            SaniError.invalidTerms(line: line, reason: reason)
        }
        let entries: [Entry]
        switch format {
        case .text: entries = try parseText(text)
        case .json: entries = try parseJSON(text)
        }
        let list = TermList(entries: entries, caseSensitive: caseSensitive)
        if list.entries.isEmpty {
            throw SaniError.invalidTerms(line: nil, reason: "the file holds no term")
        }
        return list
    }

    private static func parseText(_ text: String) throws -> [Entry] {
        var entries: [Entry] = []
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = rawLine.split(separator: "\t", omittingEmptySubsequences: false)
            switch parts.count {
            case 1:
                entries.append(Entry(term: trimmed))
            case 2:
                let term = parts[0].trimmingCharacters(in: .whitespaces)
                if term.isEmpty {
                    throw SaniError.invalidTerms(line: lineNumber, reason: "the term before the tab is empty")
                }
                let label = try validLabel(String(parts[1])) { SaniError.invalidTerms(line: lineNumber, reason: $0) }
                entries.append(Entry(term: term, label: label))
            default:
                throw SaniError.invalidTerms(
                    line: lineNumber, reason: "expected TERM or TERM<TAB>LABEL, found \(parts.count - 1) tabs")
            }
        }
        return entries
    }

    private static func parseJSON(_ text: String) throws -> [Entry] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(text.utf8))
        } catch {
            throw SaniError.invalidTerms(line: nil, reason: error.message)
        }
        switch value {
        case let .array(items):
            return try items.enumerated().map { index, item in
                try entry(item, number: index + 1)
            }
        case let .object(pairs):
            // Errors name the entry by its position, never the term itself: terms are confidential and error
            // messages reach logs, job records and webhooks.
            return try pairs.keys.sorted().enumerated().map { index, term in
                guard case let .string(label)? = pairs[term] else {
                    throw SaniError.invalidTerms(
                        line: nil, reason: "the label of term #\(index + 1) (in sorted order) must be a string, found \(pairs[term]?.kindName ?? "nothing")")
                }
                let checked = try validLabel(label) { SaniError.invalidTerms(line: nil, reason: "term #\(index + 1) (in sorted order): \($0)") }
                return Entry(term: term, label: checked)
            }
        default:
            throw SaniError.invalidTerms(
                line: nil, reason: "expected an array of terms or an object {term: label}, found \(value.kindName)")
        }
    }

    private static func entry(_ item: JSONValue, number: Int) throws -> Entry {
        func fault(_ reason: String) -> SaniError { .invalidTerms(line: nil, reason: "entry \(number): \(reason)") }
        switch item {
        case let .string(term):
            return Entry(term: term)
        case let .object(fields):
            if let unknown = fields.keys.filter({ $0 != "term" && $0 != "label" }).sorted().first {
                throw fault("unknown field \"\(unknown)\" (allowed: term, label)")
            }
            guard case let .string(term)? = fields["term"] else {
                throw fault("\"term\" must be a string, found \(fields["term"]?.kindName ?? "nothing")")
            }
            if normalize(term).isEmpty { throw fault("\"term\" is empty") }
            switch fields["label"] {
            case nil, .null?:
                return Entry(term: term)
            case let .string(label)?:
                return Entry(term: term, label: try validLabel(label, fault))
            case let other?:
                throw fault("\"label\" must be a string, found \(other.kindName)")
            }
        default:
            throw fault("expected a string or {\"term\": ..., \"label\": ...}, found \(item.kindName)")
        }
    }

    /// A label is a non-empty word without spaces (`PATIENT`, `HOSPITAL`, `project-code`).
    private static func validLabel(_ raw: String, _ fault: (String) -> SaniError) throws -> String {
        let label = raw.trimmingCharacters(in: .whitespaces)
        if label.isEmpty { throw fault("the label is empty") }
        if label.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            throw fault("the label \"\(label)\" must not contain spaces or control characters")
        }
        return label
    }
}
