import Foundation
import GRDB

/// Webhook notifications waiting in the database, so that none is lost when the server stops.
enum WebhookOutbox {
    /// The JSON body of a notification: `{"type": "job.succeeded", "timestamp": ..., "data": <job>}`.
    struct Payload: Codable {
        var type: String
        var timestamp: Date
        var data: JobResource
    }

    static func enqueue(_ db: Database, job: JobRecord, url: String) throws {
        let type = "job.\(job.status.rawValue)"
        let payload = Payload(type: type, timestamp: Date(), data: JobResource(job))
        let body = String(decoding: try APIJSON.encoder.encode(payload), as: UTF8.self)
        try WebhookMessageRecord(id: Identifier.make("msg"), jobId: job.id, url: url, eventType: type, payload: body,
                                 state: "pending", attempts: 0, nextAttemptAt: Date(), createdAt: Date()).insert(db)
    }

    static func due(_ pool: DatabasePool, limit: Int) async throws -> [WebhookMessageRecord] {
        try await pool.read { db in
            try WebhookMessageRecord.filter(Column("state") == "pending" && Column("nextAttemptAt") <= Date())
                .order(Column("nextAttemptAt")).limit(limit).fetchAll(db)
        }
    }

    static func record(_ pool: DatabasePool, message: WebhookMessageRecord, delivery: WebhookDeliveryRecord) async throws {
        try await pool.write { db in
            var d = delivery
            try d.insert(db)
            try message.update(db)
        }
    }
}
