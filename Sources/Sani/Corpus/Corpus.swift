import Foundation

/// The fine-tuning corpus of a model: the records it was trained on, in file order.
public struct Corpus: Sendable, Equatable, Codable {
    /// The records, in the order of the file.
    public var records: [CorpusRecord]

    public init(records: [CorpusRecord]) {
        self.records = records
    }

    /// Reads a corpus file; the format comes from the extension, or from the content when the extension
    /// says nothing (see `CorpusFormat.infer`).
    public static func load(url: URL) throws -> Corpus {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SaniError.io(path: url.path, reason: Self.readFailureReason(error))
        }
        return try parse(data: data, format: CorpusFormat.infer(url: url, data: data))
    }

    /// Loads notes given apart (the held-out notes of the utility audit, the calibration notes); a fault is
    /// reported as one of `role`.
    public static func loadHeldOut(url: URL, role: String = "held-out notes") throws -> Corpus {
        do { return try load(url: url) } catch let SaniError.invalidCorpus(line, reason) {
            throw SaniError.invalidCorpus(line: line, reason: "\(role): \(reason)")
        }
    }

    /// Parses a corpus held in memory. Throws `SaniError.invalidCorpus` with the 1-based line at fault.
    public static func parse(data: Data, format: CorpusFormat) throws -> Corpus {
        let text = try UTF8TextDecoder.decode(data) { line, reason in
            SaniError.invalidCorpus(line: line, reason: reason)
        }
        let records: [CorpusRecord]
        switch format {
        case .jsonl: records = try JSONLCorpusParser().parse(text)
        case .text: records = PlainTextCorpusParser().parse(text)
        }
        if records.isEmpty {
            throw SaniError.invalidCorpus(line: nil, reason: "the corpus holds no record (the file is empty or blank)")
        }
        return Corpus(records: records)
    }

    /// Whether at least one record names its subject.
    public var hasSubjects: Bool {
        records.contains { $0.subject != nil }
    }

    /// Record-level figures: records, distinct subjects, characters, given spans.
    public var statistics: CorpusStatistics {
        var subjects = Set<String>()
        var withoutSubject = 0
        var characters = 0
        var annotations = 0
        for record in records {
            if let subject = record.subject { subjects.insert(subject) } else { withoutSubject += 1 }
            characters += record.text.unicodeScalars.count
            annotations += record.annotations.count
        }
        return CorpusStatistics(
            records: records.count, subjects: subjects.count, recordsWithoutSubject: withoutSubject,
            characters: characters, annotations: annotations)
    }

    private static func readFailureReason(_ error: Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}
