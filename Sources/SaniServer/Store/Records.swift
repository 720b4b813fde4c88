import Foundation
import GRDB

/// An uploaded input: a single file, or a folder extracted from a tar.
public struct FileRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "files"
    public var seq: Int64?
    public var id: String
    public var tenant: String
    public var name: String
    /// `file` or `folder`.
    public var kind: String
    /// `upload`, `tar` or `url`.
    public var source: String
    public var size: Int64
    public var sha256: String
    /// Relative to the data folder.
    public var path: String
    public var entries: Int?
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }
}

/// A sanitization job and its latest progress.
public struct JobRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "jobs"
    public var seq: Int64?
    public var id: String
    public var tenant: String
    public var status: JobStatus
    public var modelFileId: String
    public var corpusFileId: String
    public var termsFileId: String?
    /// Notes the model was never fine-tuned on, for the utility audit (migration v2).
    public var heldOutFileId: String?
    /// The model the fine-tune started from; erase restores to it (migration v3).
    public var baseFileId: String?
    /// Notes of the same kind the model never saw, apart from the held-out notes: the repair trains on them (by
    /// default with a base model, else with `repairNotes` calibration), and the membership floor reads its level from them (migration v4).
    public var calibrationFileId: String?
    public var optionsJSON: String
    public var webhookURL: String?
    public var webhookSecret: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    public var phase: String?
    public var epoch: Int?
    public var epochs: Int?
    public var step: Int?
    public var steps: Int?
    public var fraction: Double?
    public var loss: Double?
    public var etaSeconds: Double?
    public var message: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var cancelRequested: Bool
    public var attempts: Int
    public var tokenRegurgitationBefore: Double?
    public var tokenRegurgitationAfter: Double?
    public var spanExtractionBefore: Double?
    public var spanExtractionAfter: Double?
    public var inputsPurgedAt: Date?
    public var outputsPurgedAt: Date?

    public mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }
}

/// The status of a job; `succeeded`, `failed` and `cancelled` are final.
public enum JobStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case validating, queued, running, succeeded, failed, cancelled

    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One entry of a job's history: a status change or a (throttled) progress report.
public struct EventRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "events"
    public var id: Int64?
    public var jobId: String
    public var at: Date
    /// `status` or `progress`.
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

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// An event of `job` as it is now.
    static func of(_ job: JobRecord, type: String, message: String) -> EventRecord {
        EventRecord(id: nil, jobId: job.id, at: Date(), type: type, status: job.status, phase: job.phase,
                    epoch: job.epoch, step: job.step, steps: job.steps, fraction: job.fraction,
                    loss: job.loss, etaSeconds: job.etaSeconds, message: message)
    }
}

/// The method's report of a finished job, stored as the JSON the method produced.
public struct AuditRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audits"
    public var jobId: String
    public var reportJSON: String
    public var createdAt: Date
}

/// A downloadable output file of a job.
public struct ArtifactRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "artifacts"
    public var jobId: String
    public var name: String
    public var size: Int64
    public var sha256: String
    /// Relative to the data folder.
    public var path: String
}

/// An API key, stored as the SHA-256 of the key.
public struct APIKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "api_keys"
    public var hash: String
    public var tenant: String
    public var admin: Bool
    public var label: String
    /// `config` (re-synchronised at every start) or `cli` (added with `sani serve --add-key`).
    public var source: String
    public var createdAt: Date
}

/// A webhook notification waiting to be (or already) delivered.
public struct WebhookMessageRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "webhook_messages"
    public var id: String
    public var jobId: String
    public var url: String
    public var eventType: String
    public var payload: String
    /// `pending`, `delivered` or `failed`.
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: Date
    public var createdAt: Date
}

/// One delivery attempt of a webhook message.
public struct WebhookDeliveryRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "webhook_deliveries"
    public var id: Int64?
    public var messageId: String
    public var jobId: String
    public var attempt: Int
    public var attemptedAt: Date
    public var statusCode: Int?
    public var error: String?
    public var succeeded: Bool
    public var milliseconds: Double

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// An `Idempotency-Key` seen on job creation and the job it created.
public struct IdempotencyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "idempotency_keys"
    public var tenant: String
    public var key: String
    public var requestHash: String
    public var jobId: String
    public var createdAt: Date
}
