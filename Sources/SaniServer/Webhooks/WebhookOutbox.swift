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
        try message(for: job, url: url).insert(db)
    }

    /// The notification of `job`'s current status.
    static func message(for job: JobRecord, url: String) throws -> WebhookMessageRecord {
        let type = "job.\(job.status.rawValue)"
        let payload = Payload(type: type, timestamp: Date(), data: JobResource(job))
        let body = String(decoding: try APIJSON.encoder.encode(payload), as: UTF8.self)
        return WebhookMessageRecord(id: Identifier.make("msg"), jobId: job.id, url: url, eventType: type, payload: body,
                                    state: "pending", attempts: 0, nextAttemptAt: Date(), createdAt: Date())
    }

    static func due(_ backend: StoreBackend, limit: Int) async throws -> [WebhookMessageRecord] {
        if let pg = backend.postgres { return try await pg.claimDueWebhooks(limit: limit, hold: 120) }
        return try await backend.sqlite!.read { db in
            try WebhookMessageRecord.filter(Column("state") == "pending" && Column("nextAttemptAt") <= Date())
                .order(Column("nextAttemptAt")).limit(limit).fetchAll(db)
        }
    }

    static func record(_ backend: StoreBackend, message: WebhookMessageRecord, delivery: WebhookDeliveryRecord) async throws {
        if let pg = backend.postgres { return try await pg.recordDelivery(message: message, delivery: delivery) }
        return try await backend.sqlite!.write { db in
            var d = delivery
            try d.insert(db)
            try message.update(db)
        }
    }
}
