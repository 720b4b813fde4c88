import Foundation

/// Turns the bytes of an uploaded text file (corpus, terms) into a `String`, refusing invalid UTF-8 with
/// the line where it occurs and dropping a leading byte-order mark.
enum UTF8TextDecoder {
    static func decode(_ data: Data, error makeError: (_ line: Int?, _ reason: String) -> SaniError) throws -> String {
        guard var text = String(data: data, encoding: .utf8) else {
            let line = firstInvalidLine(data)
            throw makeError(line, "the file is not valid UTF-8 text (save it as UTF-8)")
        }
        if text.unicodeScalars.first == "\u{FEFF}" {
            text.unicodeScalars.removeFirst()
        }
        return text
    }

    /// The 1-based line holding the first byte sequence that is not UTF-8.
    private static func firstInvalidLine(_ data: Data) -> Int? {
        var line = 1
        var start = data.startIndex
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            if String(data: data[start..<end], encoding: .utf8) == nil { return line }
            line += 1
            start = end == data.endIndex ? end : data.index(after: end)
        }
        return nil
    }
}
