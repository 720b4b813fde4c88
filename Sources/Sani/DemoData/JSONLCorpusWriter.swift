import Foundation

/// Writes a corpus as JSON lines, the format `Corpus.parse(data:format: .jsonl)` reads back exactly:
/// one object a line, keys in a fixed order (`text`, `subject`, `id`, `spans`; absent `subject` and `id`
/// left out), spans as `{"start", "end", "label"}` in Unicode-scalar offsets, non-ASCII text as UTF-8.
///
/// The output is the same bytes for the same corpus, so that generated files can be compared and hashed.
public struct JSONLCorpusWriter: Sendable {
    public init() {}

    /// The whole corpus, each line ended by a line feed.
    public func data(for corpus: Corpus) -> Data {
        var output = ""
        for record in corpus.records {
            output += line(for: record)
            output += "\n"
        }
        return Data(output.utf8)
    }

    /// One record as a JSON object, without the line feed.
    public func line(for record: CorpusRecord) -> String {
        var line = "{\"text\": " + Self.quoted(record.text)
        if let subject = record.subject { line += ", \"subject\": " + Self.quoted(subject) }
        if let id = record.id { line += ", \"id\": " + Self.quoted(id) }
        line += ", \"spans\": ["
        for (index, span) in record.annotations.enumerated() {
            if index > 0 { line += ", " }
            line += "{\"start\": \(span.start), \"end\": \(span.end), \"label\": \(Self.quoted(span.label))}"
        }
        return line + "]}"
    }

    /// `string` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ string: String) -> String {
        var result = "\""
        result.unicodeScalars.reserveCapacity(string.unicodeScalars.count + 2)
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\u{2028}": result += "\\u2028"
            case "\u{2029}": result += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

extension Corpus {
    /// The corpus as JSON lines (see `JSONLCorpusWriter`).
    public func jsonl() -> Data {
        JSONLCorpusWriter().data(for: self)
    }
}
