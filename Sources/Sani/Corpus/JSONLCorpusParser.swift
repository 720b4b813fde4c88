import Foundation

/// Reads a JSONL corpus: one JSON object a line, blank lines skipped.
///
/// A record is `{"text": String, "subject": String|Number?, "id": String|Number?,
/// "spans": [{"start": Int, "end": Int, "label": String, "text": String?}]?}`. Span offsets are code points
/// (Unicode scalars, as Python's `str` counts them) into `text`, half-open. A span may repeat the text it
/// covers in `"text"`; it is then checked, which catches offsets counted in bytes or UTF-16 units.
/// A file that is one JSON array of such objects is accepted too (then faults name the record, not the line).
struct JSONLCorpusParser {
    static let recordFields: Set<String> = ["text", "subject", "id", "spans"]
    static let spanFields: Set<String> = ["start", "end", "label", "text"]

    func parse(_ text: String) throws -> [CorpusRecord] {
        if text.first(where: { !$0.isWhitespace }) == "[" {
            return try parseArray(text)
        }
        let decoder = JSONDecoder()
        var records: [CorpusRecord] = []
        var lineNumber = 0
        // Split on the byte: a `Character` split would keep "\r\n" (one grapheme) together.
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let value: JSONValue
            do {
                value = try JSONValue.parse(Data(line), decoder: decoder)
            } catch {
                throw SaniError.invalidCorpus(line: lineNumber, reason: error.message)
            }
            do {
                records.append(try Self.record(from: value))
            } catch {
                throw SaniError.invalidCorpus(line: lineNumber, reason: error.reason)
            }
        }
        return records
    }

    private func parseArray(_ text: String) throws -> [CorpusRecord] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(text.utf8))
        } catch {
            throw SaniError.invalidCorpus(line: nil, reason: error.message)
        }
        guard case let .array(items) = value else {
            throw SaniError.invalidCorpus(line: nil, reason: "expected JSON lines or an array of records")
        }
        var records: [CorpusRecord] = []
        records.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do {
                records.append(try Self.record(from: item))
            } catch {
                throw SaniError.invalidCorpus(line: nil, reason: "record \(index + 1): \(error.reason)")
            }
        }
        return records
    }

    /// Validates one record object and builds it.
    static func record(from value: JSONValue) throws(RecordFault) -> CorpusRecord {
        guard case let .object(fields) = value else {
            throw RecordFault("expected a JSON object with a \"text\" field, found \(value.kindName)")
        }
        if let unknown = fields.keys.filter({ !recordFields.contains($0) }).sorted().first {
            throw RecordFault(
                "unknown field \"\(unknown)\" (allowed: text, subject, id, spans)")
        }
        guard let textValue = fields["text"] else {
            throw RecordFault("missing field \"text\"")
        }
        guard case let .string(text) = textValue else {
            throw RecordFault("field \"text\" must be a string, found \(textValue.kindName)")
        }
        if text.isEmpty {
            throw RecordFault("field \"text\" is empty")
        }
        let subject = try identifier(fields["subject"], field: "subject")
        let id = try identifier(fields["id"], field: "id")
        var spans: [SensitiveSpan] = []
        if let spansValue = fields["spans"], spansValue != .null {
            guard case let .array(items) = spansValue else {
                throw RecordFault("field \"spans\" must be an array, found \(spansValue.kindName)")
            }
            let scalars = Array(text.unicodeScalars)
            spans.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                spans.append(try span(from: item, number: index + 1, scalars: scalars))
            }
        }
        return CorpusRecord(text: text, subject: subject, id: id, annotations: spans)
    }

    /// A subject or id: a non-empty string, or a number written as a string; null means absent.
    private static func identifier(_ value: JSONValue?, field: String) throws(RecordFault) -> String? {
        switch value {
        case nil, .null?:
            return nil
        case let .string(string)?:
            if string.trimmingCharacters(in: .whitespaces).isEmpty {
                throw RecordFault("field \"\(field)\" is empty (omit it or give null)")
            }
            return string
        case let .integer(number)?:
            return String(number)
        case let .number(number)?:
            if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
                return String(Int64(number))
            }
            return String(number)
        case let other?:
            throw RecordFault("field \"\(field)\" must be a string or a number, found \(other.kindName)")
        }
    }

    private static func span(from value: JSONValue, number: Int, scalars: [Unicode.Scalar]) throws(RecordFault) -> SensitiveSpan {
        let name = "span \(number)"
        guard case let .object(fields) = value else {
            throw RecordFault("\(name) must be an object {\"start\", \"end\", \"label\"}, found \(value.kindName)")
        }
        if let unknown = fields.keys.filter({ !spanFields.contains($0) }).sorted().first {
            throw RecordFault("\(name): unknown field \"\(unknown)\" (allowed: start, end, label, text)")
        }
        let start = try offset(fields["start"], field: "start", span: name)
        let end = try offset(fields["end"], field: "end", span: name)
        guard case let .string(label)? = fields["label"] else {
            let found = fields["label"].map { $0.kindName } ?? "nothing"
            throw RecordFault("\(name): \"label\" must be a non-empty string, found \(found)")
        }
        let trimmedLabel = label.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedLabel.isEmpty {
            throw RecordFault("\(name): \"label\" is empty")
        }
        if start >= end {
            throw RecordFault("\(name): start (\(start)) must be less than end (\(end))")
        }
        if end > scalars.count {
            throw RecordFault(
                "\(name): end (\(end)) is past the end of the text (\(scalars.count) code points; offsets count code points, not bytes)")
        }
        if let expected = fields["text"] {
            guard case let .string(expectedText) = expected else {
                throw RecordFault("\(name): \"text\" must be a string, found \(expected.kindName)")
            }
            var covered = String.UnicodeScalarView()
            covered.append(contentsOf: scalars[start..<end])
            if String(covered) != expectedText {
                throw RecordFault(
                    "\(name): the text at \(start)..<\(end) does not match its \"text\" field (offsets must count code points, not bytes or UTF-16 units)")
            }
        }
        return SensitiveSpan(start: start, end: end, label: trimmedLabel, source: .annotation)
    }

    private static func offset(_ value: JSONValue?, field: String, span: String) throws(RecordFault) -> Int {
        switch value {
        case let .integer(number)?:
            if number < 0 { throw RecordFault("\(span): \"\(field)\" must not be negative (\(number))") }
            return number
        case let .number(number)? where number.isFinite && number == number.rounded() && abs(number) < 1e15:
            if number < 0 { throw RecordFault("\(span): \"\(field)\" must not be negative (\(number))") }
            return Int(number)
        case nil:
            throw RecordFault("\(span): missing \"\(field)\"")
        case let other?:
            throw RecordFault("\(span): \"\(field)\" must be an integer, found \(other.kindName == "a number" ? "a fractional number" : other.kindName)")
        }
    }
}

/// Why one record of a corpus is refused (the caller adds the line).
struct RecordFault: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
