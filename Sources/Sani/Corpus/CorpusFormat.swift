import Foundation

/// The file formats a corpus can be given in.
public enum CorpusFormat: String, Sendable, CaseIterable, Codable {
    /// One JSON object a line: `{"text": ..., "subject": ..., "id": ..., "spans": [{"start", "end", "label"}]}`.
    case jsonl
    /// Plain text: one record a block, blocks separated by one or more blank lines.
    case text

    /// The format of a file: by its extension (`.jsonl`, `.ndjson`, `.json` → JSONL; `.txt`, `.text` → text),
    /// else by its content (JSONL when the first non-blank character is `{`).
    public static func infer(url: URL, data: Data) -> CorpusFormat {
        switch url.pathExtension.lowercased() {
        case "jsonl", "ndjson", "json": return .jsonl
        case "txt", "text": return .text
        default: return sniff(data)
        }
    }

    /// The format that the content looks like: JSONL when the first non-blank character is `{` (or a
    /// JSON array's `[`), text otherwise.
    public static func sniff(_ data: Data) -> CorpusFormat {
        for byte in data {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF: continue  // blanks and a UTF-8 byte-order mark
            case UInt8(ascii: "{"), UInt8(ascii: "["): return .jsonl
            default: return .text
            }
        }
        return .text
    }
}
