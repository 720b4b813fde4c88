import Foundation
import Sani

/// A file as the API shows it.
public struct FileResource: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// `file` or `folder` (a tar that was extracted).
    public var kind: String
    /// `upload`, `tar` or `url`.
    public var source: String
    public var size: Int64
    public var sha256: String
    public var entries: Int?
    public var createdAt: Date

    init(_ r: FileRecord) {
        id = r.id; name = r.name; kind = r.kind; source = r.source; size = r.size; sha256 = r.sha256
        entries = r.entries; createdAt = r.createdAt
    }
}

/// A job as the API shows it.
public struct JobResource: Codable, Sendable, Equatable {
    public struct Progress: Codable, Sendable, Equatable {
        public var phase: String?
        public var epoch: Int?
        public var epochs: Int?
        public var step: Int?
        public var steps: Int?
        public var fraction: Double
        public var loss: Double?
        public var etaSeconds: Double?
        public var message: String?
    }
    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
    }
    public struct Webhook: Codable, Sendable, Equatable { public var url: String }
    public struct AuditSummary: Codable, Sendable, Equatable {
        public var tokenRegurgitationBefore: Double?
        public var tokenRegurgitationAfter: Double?
        public var spanExtractionBefore: Double?
        public var spanExtractionAfter: Double?
    }

    public var id: String
    public var status: JobStatus
    public var model: String
    public var corpus: String
    public var terms: String?
    public var heldOut: String?
    public var base: String?
    public var calibration: String?
    public var options: SanitizationOptions
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    public var progress: Progress?
    public var error: Failure?
    public var cancelRequested: Bool
    public var attempts: Int
    public var webhook: Webhook?
    public var audit: AuditSummary?
    public var inputsPurged: Bool

    init(_ r: JobRecord) {
        id = r.id; status = r.status; model = r.modelFileId; corpus = r.corpusFileId; terms = r.termsFileId
        heldOut = r.heldOutFileId; base = r.baseFileId; calibration = r.calibrationFileId
        options = (try? JSONDecoder().decode(SanitizationOptions.self, from: Data(r.optionsJSON.utf8))) ?? SanitizationOptions()
        createdAt = r.createdAt; updatedAt = r.updatedAt; startedAt = r.startedAt; endedAt = r.endedAt
        if r.phase != nil || r.fraction != nil {
            progress = Progress(phase: r.phase, epoch: r.epoch, epochs: r.epochs, step: r.step, steps: r.steps,
                                fraction: r.fraction ?? 0, loss: r.loss, etaSeconds: r.etaSeconds, message: r.message)
        }
        if let code = r.errorCode { error = Failure(code: code, message: r.errorMessage ?? code) }
        cancelRequested = r.cancelRequested
        attempts = r.attempts
        webhook = r.webhookURL.map { Webhook(url: $0) }
        if r.tokenRegurgitationBefore != nil || r.tokenRegurgitationAfter != nil {
            audit = AuditSummary(tokenRegurgitationBefore: r.tokenRegurgitationBefore, tokenRegurgitationAfter: r.tokenRegurgitationAfter,
                                 spanExtractionBefore: r.spanExtractionBefore, spanExtractionAfter: r.spanExtractionAfter)
        }
        inputsPurged = r.inputsPurgedAt != nil
    }
}

/// A job event as the API shows it.
public struct EventResource: Codable, Sendable, Equatable {
    public var id: Int64
    public var jobId: String
    public var at: Date
    public var type: String
    public var status: JobStatus
    public var phase: String?
    public var epoch: Int?
    public var step: Int?
    public var steps: Int?
    public var fraction: Double?
    public var loss: Double?
    public var etaSeconds: Double?
    public var message: String

    init(_ r: EventRecord) {
        id = r.id ?? 0; jobId = r.jobId; at = r.at; type = r.type; status = r.status; phase = r.phase; epoch = r.epoch
        step = r.step; steps = r.steps; fraction = r.fraction; loss = r.loss; etaSeconds = r.etaSeconds; message = r.message
    }
}

/// A downloadable output of a job.
public struct ArtifactResource: Codable, Sendable, Equatable {
    public var name: String
    public var size: Int64
    public var sha256: String
    public var url: String
}

/// One page of a list, with the cursor of the next page when there is one.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public var data: [Item]
    public var nextCursor: String?
}

/// The body of `POST /v1/jobs`.
public struct CreateJobRequest: Codable, Sendable {
    public struct Webhook: Codable, Sendable {
        public var url: String
        public var secret: String
        static let keys: Set<String> = ["url", "secret"]
    }
    public var model: String
    public var corpus: String
    public var terms: String?
    /// Id of notes the model was never fine-tuned on; the utility audit is measured on them.
    public var heldOut: String?
    /// Id of the model the fine-tune started from (a folder, same architecture); erase restores to it.
    public var base: String?
    /// Id of notes of the same kind the model never saw, apart from `heldOut`: the repair trains on them (by
    /// default with a base model, else with `repairNotes` calibration), and the membership floor reads its level from them.
    public var calibration: String?
    public var options: SanitizationOptions?
    public var webhook: Webhook?
    static let keys: Set<String> = ["model", "corpus", "terms", "heldOut", "base", "calibration", "options", "webhook"]
}

/// The body of `POST /v1/files/fetch`.
public struct FetchFileRequest: Codable, Sendable {
    public var url: String
    public var name: String?
    /// `raw` (default) or `tar`.
    public var format: String?
    static let keys: Set<String> = ["url", "name", "format"]
}

enum APIJSON {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(Timestamp.format(date))
        }
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
    static let decoder = JSONDecoder()
}

/// RFC 3339 timestamps in UTC with milliseconds.
enum Timestamp {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(secondsFromGMT: 0) ?? .current))
    }
}
