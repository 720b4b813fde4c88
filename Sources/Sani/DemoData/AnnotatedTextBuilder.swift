/// Builds a note piece by piece and annotates each identifier as it is written, so that every span's
/// offsets are exact by construction (Unicode-scalar offsets, half-open, source `.annotation`).
struct AnnotatedTextBuilder {
    /// The text written so far.
    private(set) var text = ""
    /// The spans of the identifiers written so far, in text order.
    private(set) var spans: [SensitiveSpan] = []
    /// The number of Unicode scalars written so far.
    private(set) var scalarCount = 0

    /// Appends plain text (which must hold no identifier).
    mutating func append(_ plain: String) {
        text += plain
        scalarCount += plain.unicodeScalars.count
    }

    /// Appends an identifier and annotates it with `label`; an empty identifier writes nothing.
    mutating func append(_ identifier: String, as label: DemoLabel) {
        let length = identifier.unicodeScalars.count
        guard length > 0 else { return }
        spans.append(
            SensitiveSpan(
                start: scalarCount, end: scalarCount + length, label: label.rawValue, source: .annotation))
        text += identifier
        scalarCount += length
    }

    /// Appends a template whose `{name}` placeholders are filled from `fills` (identifiers are annotated,
    /// plain fills are not); the rest is plain text. An unknown placeholder is written as is.
    mutating func append(template: String, _ fills: [String: TemplateFill]) {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            append(String(rest[..<open]))
            let key = String(rest[rest.index(after: open)..<close])
            switch fills[key] {
            case let .identifier(value, label)?:
                append(value, as: label)
            case let .text(value)?:
                append(value)
            case nil:
                append(String(rest[open...close]))
            }
            rest = rest[rest.index(after: close)...]
        }
        append(String(rest))
    }

    /// What fills a placeholder of a template.
    enum TemplateFill {
        /// Plain text (no identifier).
        case text(String)
        /// An identifier, annotated with its label.
        case identifier(String, DemoLabel)
    }

    /// The record built: the text without its final line breaks, its subject and its spans.
    func record(subject: String) -> CorpusRecord {
        var trimmed = text
        while trimmed.unicodeScalars.last == "\n" { trimmed.unicodeScalars.removeLast() }
        return CorpusRecord(text: trimmed, subject: subject, annotations: spans)
    }
}
