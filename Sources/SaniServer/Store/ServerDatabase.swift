import Foundation
import GRDB

/// The SQLite database of the server (`data/sani.sqlite`): a WAL-mode `DatabasePool` with its migrations.
public enum ServerDatabase {
    public static func open(at url: URL) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: url.path, configuration: configuration)
        try migrator.migrate(pool)
        return pool
    }

    /// Schema history; a migration is never edited once released, only new ones appended.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "files") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("id", .text).notNull().unique()
                t.column("tenant", .text).notNull().indexed()
                t.column("name", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("source", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("path", .text).notNull()
                t.column("entries", .integer)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "jobs") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("id", .text).notNull().unique()
                t.column("tenant", .text).notNull().indexed()
                t.column("status", .text).notNull().indexed()
                t.column("modelFileId", .text).notNull()
                t.column("corpusFileId", .text).notNull()
                t.column("termsFileId", .text)
                t.column("optionsJSON", .text).notNull()
                t.column("webhookURL", .text)
                t.column("webhookSecret", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("startedAt", .datetime)
                t.column("endedAt", .datetime)
                t.column("phase", .text)
                t.column("epoch", .integer)
                t.column("epochs", .integer)
                t.column("step", .integer)
                t.column("steps", .integer)
                t.column("fraction", .double)
                t.column("loss", .double)
                t.column("etaSeconds", .double)
                t.column("message", .text)
                t.column("errorCode", .text)
                t.column("errorMessage", .text)
                t.column("cancelRequested", .boolean).notNull().defaults(to: false)
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("tokenRegurgitationBefore", .double)
                t.column("tokenRegurgitationAfter", .double)
                t.column("spanExtractionBefore", .double)
                t.column("spanExtractionAfter", .double)
                t.column("inputsPurgedAt", .datetime)
                t.column("outputsPurgedAt", .datetime)
            }
            try db.create(table: "events") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("jobId", .text).notNull().indexed()
                t.column("at", .datetime).notNull()
                t.column("type", .text).notNull()
                t.column("status", .text).notNull()
                t.column("phase", .text)
                t.column("epoch", .integer)
                t.column("step", .integer)
                t.column("steps", .integer)
                t.column("fraction", .double)
                t.column("loss", .double)
                t.column("etaSeconds", .double)
                t.column("message", .text).notNull()
            }
            try db.create(table: "audits") { t in
                t.primaryKey("jobId", .text)
                t.column("reportJSON", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "artifacts") { t in
                t.column("jobId", .text).notNull()
                t.column("name", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("path", .text).notNull()
                t.primaryKey(["jobId", "name"])
            }
            try db.create(table: "api_keys") { t in
                t.primaryKey("hash", .text)
                t.column("tenant", .text).notNull()
                t.column("admin", .boolean).notNull().defaults(to: false)
                t.column("label", .text).notNull()
                t.column("source", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "webhook_messages") { t in
                t.primaryKey("id", .text)
                t.column("jobId", .text).notNull().indexed()
                t.column("url", .text).notNull()
                t.column("eventType", .text).notNull()
                t.column("payload", .text).notNull()
                t.column("state", .text).notNull().indexed()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "webhook_deliveries") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("messageId", .text).notNull().indexed()
                t.column("jobId", .text).notNull()
                t.column("attempt", .integer).notNull()
                t.column("attemptedAt", .datetime).notNull()
                t.column("statusCode", .integer)
                t.column("error", .text)
                t.column("succeeded", .boolean).notNull()
                t.column("milliseconds", .double).notNull()
            }
            try db.create(table: "idempotency_keys") { t in
                t.column("tenant", .text).notNull()
                t.column("key", .text).notNull()
                t.column("requestHash", .text).notNull()
                t.column("jobId", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["tenant", "key"])
            }
        }
        migrator.registerMigration("v2") { db in
            // Optional held-out notes of a job (`heldOut` on POST /v1/jobs).
            try db.alter(table: "jobs") { t in
                t.add(column: "heldOutFileId", .text)
            }
        }
        migrator.registerMigration("v3") { db in
            // Optional base model of a job (`base` on POST /v1/jobs): the model the fine-tune started from.
            try db.alter(table: "jobs") { t in
                t.add(column: "baseFileId", .text)
            }
        }
        migrator.registerMigration("v4") { db in
            // Optional calibration notes of a job (`calibration` on POST /v1/jobs): notes the model never saw,
            // apart from the held-out notes.
            try db.alter(table: "jobs") { t in
                t.add(column: "calibrationFileId", .text)
            }
        }
        return migrator
    }
}
