/// Builds the JSON text of tokenizer files by hand, so vocabularies come out ordered by id.
struct TokenizerJSONWriter {
    /// The JSON written so far.
    private(set) var text = ""

    init(reservingCapacity capacity: Int = 0) {
        text.reserveCapacity(capacity)
    }

    /// Appends raw JSON.
    mutating func raw(_ json: String) {
        text += json
    }

    /// Appends `value` as a JSON string literal.
    mutating func string(_ value: String) {
        text += Self.literal(value)
    }

    /// The JSON string literal of `value`.
    static func literal(_ value: String) -> String {
        var result = String.UnicodeScalarView()
        result.append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result.append(contentsOf: "\\\"".unicodeScalars)
            case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            case "\t": result.append(contentsOf: "\\t".unicodeScalars)
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16, uppercase: false)
                    result.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
                } else {
                    result.append(scalar)
                }
            }
        }
        result.append("\"")
        return String(result)
    }

    /// Appends an object of token to id, ordered by id, one entry a line with `indent`.
    mutating func vocabulary(_ entries: [(token: String, id: Int)], indent: String) {
        guard !entries.isEmpty else {
            raw("{}")
            return
        }
        raw("{\n")
        for (index, entry) in entries.enumerated() {
            raw(indent + "  ")
            string(entry.token)
            raw(": \(entry.id)")
            raw(index + 1 < entries.count ? ",\n" : "\n")
        }
        raw(indent + "}")
    }
}
