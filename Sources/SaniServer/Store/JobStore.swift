import Foundation
import GRDB
import Sani

/// Jobs, their events, audits and artifacts in the database. Every status change goes through `transition`,
/// which also records an event and, when the job has a webhook, queues a notification in the same transaction.
public final class JobStore: Sendable {
    let backend: StoreBackend
    var pool: DatabasePool { backend.sqlite! }

    public convenience init(pool: DatabasePool) { self.init(backend: .sqlite(pool)) }
    init(backend: StoreBackend) { self.backend = backend }
    var postgres: PostgresStore? { backend.postgres }

    // MARK: creating and reading

    /// Inserts a new job (status `validating`). With an idempotency key already used by the same tenant, returns
    /// the job created then (`created == false`), or throws when the key came with a different request.
    func create(_ job: JobRecord, idempotencyKey: String?, requestHash: String) async throws -> (JobRecord, created: Bool) {
        if let pg = postgres { return try await pg.createJob(job, idempotencyKey: idempotencyKey, requestHash: requestHash) }
        return try await pool.write { db in
            if let key = idempotencyKey,
               let seen = try IdempotencyRecord.fetchOne(db, key: ["tenant": job.tenant, "key": key]) {
                guard seen.requestHash == requestHash else {
                    throw APIError(.unprocessableContent, "idempotency_key_reused",
                                   "Idempotency-Key \"\(key)\" was already used with a different request body")
                }
                if let existing = try JobRecord.filter(Column("id") == seen.jobId).fetchOne(db) {
                    return (existing, false)
                }
            }
            var job = job
            try job.insert(db)
            try Self.recordEvent(db, job: job, type: "status", message: "job created; validating inputs")
            if let key = idempotencyKey {
                try IdempotencyRecord(tenant: job.tenant, key: key, requestHash: requestHash, jobId: job.id, createdAt: Date())
                    .insert(db, onConflict: .replace)
            }
            return (job, true)
        }
    }

    /// The job with this id, if it belongs to `tenant` (nil tenant: any).
    func job(_ id: String, tenant: String?) async throws -> JobRecord? {
        if let pg = postgres { return try await pg.job(id, tenant: tenant) }
        return try await pool.read { db in try Self.fetch(db, id, tenant: tenant) }
    }

    func jobSync(_ id: String) throws -> JobRecord? {
        if let pg = postgres { return try Blocking.run { try await pg.job(id, tenant: nil) } }
        return try pool.read { db in try Self.fetch(db, id, tenant: nil) }
    }

    static func fetch(_ db: Database, _ id: String, tenant: String?) throws -> JobRecord? {
        var request = JobRecord.filter(Column("id") == id)
        if let tenant { request = request.filter(Column("tenant") == tenant) }
        return try request.fetchOne(db)
    }

    /// Newest first; `before` is the `seq` cursor of the previous page.
    func list(tenant: String?, status: JobStatus?, before: Int64?, limit: Int) async throws -> [JobRecord] {
        if let pg = postgres { return try await pg.listJobs(tenant: tenant, status: status, before: before, limit: limit) }
        return try await pool.read { db in
            var request = JobRecord.all()
            if let tenant { request = request.filter(Column("tenant") == tenant) }
            if let status { request = request.filter(Column("status") == status.rawValue) }
            if let before { request = request.filter(Column("seq") < before) }
            return try request.order(Column("seq").desc).limit(limit).fetchAll(db)
        }
    }

    func counts() throws -> [JobStatus: Int] {
        if let pg = postgres { return try Blocking.run { try await pg.counts() } }
        return try pool.read { db in
            var out: [JobStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status") {
                if let s = JobStatus(rawValue: row["status"]) { out[s] = row["n"] }
            }
            return out
        }
    }

    // MARK: status changes

    /// Moves a job to `status` if it is currently in one of `from` (nil: any non-final status). Returns the
    /// updated job, or nil when the job was not in an expected status.
    @discardableResult
    func transition(_ id: String, to status: JobStatus, from: Set<JobStatus>? = nil, message: String,
                    error: (code: String, message: String)? = nil,
                    update: (@Sendable (inout JobRecord) -> Void)? = nil) throws -> JobRecord? {
        if let pg = postgres {
            return try pg.transitionSync(id, to: status, from: from, message: message, error: error, update: update)
        }
        return try pool.write { db in
            try Self.transition(db, id, to: status, from: from, message: message, error: error, update: update)
        }
    }

    static func transition(_ db: Database, _ id: String, to status: JobStatus, from: Set<JobStatus>?, message: String,
                           error: (code: String, message: String)?, update: ((inout JobRecord) -> Void)?) throws -> JobRecord? {
        guard var job = try fetch(db, id, tenant: nil) else { return nil }
        guard apply(&job, to: status, from: from, error: error, update: update) else { return nil }
        try job.update(db)
        try recordEvent(db, job: job, type: "status", message: message)
        if let url = job.webhookURL {
            try WebhookOutbox.enqueue(db, job: job, url: url)
        }
        return job
    }

    /// The status change itself, the same in both stores: false when the job is not in an expected status
    /// (`from`, or any non-final status when nil).
    static func apply(_ job: inout JobRecord, to status: JobStatus, from: Set<JobStatus>?,
                      error: (code: String, message: String)?, update: ((inout JobRecord) -> Void)?) -> Bool {
        if let from { guard from.contains(job.status) else { return false } } else if job.status.isFinal { return false }
        let now = Date()
        job.status = status
        job.updatedAt = now
        if status == .running && job.startedAt == nil { job.startedAt = now }
        if status.isFinal { job.endedAt = now; job.etaSeconds = nil }
        if let error { job.errorCode = error.code; job.errorMessage = error.message }
        update?(&job)
        return true
    }

    static func applyProgress(_ job: inout JobRecord, _ p: SanitizationProgress) {
        job.phase = p.phase.rawValue
        job.epoch = p.epoch
        job.epochs = p.epochs
        job.step = p.step
        job.steps = p.steps
        job.fraction = p.fraction
        job.loss = p.loss
        job.etaSeconds = p.etaSeconds
        job.message = p.message
        job.updatedAt = Date()
    }

    static func recordEvent(_ db: Database, job: JobRecord, type: String, message: String) throws {
        var event = EventRecord.of(job, type: type, message: message)
        try event.insert(db)
    }

    /// Stores the latest progress on the job row, and as an event when `asEvent`.
    func recordProgress(_ id: String, _ p: SanitizationProgress, asEvent: Bool) throws {
        if let pg = postgres { return try pg.recordProgress(id, p, asEvent: asEvent) }
        return try pool.write { db in
            guard var job = try Self.fetch(db, id, tenant: nil), job.status == .running else { return }
            Self.applyProgress(&job, p)
            try job.update(db)
            if asEvent { try Self.recordEvent(db, job: job, type: "progress", message: p.message) }
        }
    }

    /// Takes the oldest queued job and marks it running, atomically.
    func claimNextQueued(excluding: Set<String>) throws -> JobRecord? {
        if let pg = postgres { return try pg.claimNextQueued(excluding: excluding) }
        return try pool.write { db in
            let candidates = try JobRecord.filter(Column("status") == JobStatus.queued.rawValue)
                .order(Column("seq")).limit(excluding.count + 1).fetchAll(db)
            guard let next = candidates.first(where: { !excluding.contains($0.id) }) else { return nil }
            return try Self.transition(db, next.id, to: .running, from: [.queued], message: "started",
                                       error: nil) { $0.attempts += 1 }
        }
    }

    /// Runs a job may start before it is failed: a job that keeps bringing the server down (memory, a crash in
    /// its inputs) must not be retried forever.
    static let maxAttempts = 3

    /// At start-up: jobs left running by a stopped or crashed server go back to the queue (they resume from
    /// their checkpoints), unless they already used `maxAttempts` runs; returns the ids of jobs to validate
    /// again (those left `validating`).
    func recoverInterrupted() throws -> (requeued: [String], revalidate: [String]) {
        try pool.write { db in
            let running = try JobRecord.filter(Column("status") == JobStatus.running.rawValue).fetchAll(db)
            var requeued: [String] = []
            for job in running {
                if job.attempts >= Self.maxAttempts && !job.cancelRequested {
                    _ = try Self.transition(db, job.id, to: .failed, from: [.running],
                                            message: "failed: interrupted \(job.attempts) times",
                                            error: ("interrupted", "the server stopped during each of the \(job.attempts) runs of this job; "
                                                    + "it is not retried again (check the server log and memory for this model and corpus)"),
                                            update: nil)
                    continue
                }
                if !job.cancelRequested { requeued.append(job.id) }
                if job.cancelRequested {
                    _ = try Self.transition(db, job.id, to: .cancelled, from: [.running],
                                            message: "cancelled (the server stopped while cancelling)", error: nil, update: nil)
                } else {
                    _ = try Self.transition(db, job.id, to: .queued, from: [.running],
                                            message: "re-queued after a server restart; resumes from its last checkpoint",
                                            error: nil, update: nil)
                }
            }
            let validating = try JobRecord.filter(Column("status") == JobStatus.validating.rawValue).fetchAll(db)
            return (requeued, validating.map(\.id))
        }
    }

    /// Marks that the client asked to cancel a running job.
    func requestCancel(_ id: String) async throws {
        if let pg = postgres { return try await pg.requestCancel(id) }
        return try await pool.write { db in
            try db.execute(sql: "UPDATE jobs SET cancelRequested = 1, updatedAt = ? WHERE id = ?", arguments: [Date(), id])
        }
    }

    // MARK: results

    @discardableResult
    func saveResult(_ id: String, outcome: JobOutcome, artifacts: [ArtifactRecord]) throws -> JobRecord? {
        if let pg = postgres { return try pg.saveResult(id, outcome: outcome, artifacts: artifacts) }
        return try pool.write { db in
            try AuditRecord(jobId: id, reportJSON: String(decoding: outcome.reportJSON, as: UTF8.self), createdAt: Date())
                .insert(db, onConflict: .replace)
            try db.execute(sql: "DELETE FROM artifacts WHERE jobId = ?", arguments: [id])
            for a in artifacts { try a.insert(db) }
            return try Self.transition(db, id, to: .succeeded, from: [.running], message: "succeeded", error: nil) { job in
                job.tokenRegurgitationBefore = outcome.tokenRegurgitationBefore
                job.tokenRegurgitationAfter = outcome.tokenRegurgitationAfter
                job.spanExtractionBefore = outcome.spanExtractionBefore
                job.spanExtractionAfter = outcome.spanExtractionAfter
                job.fraction = 1
                job.message = "done"
            }
        }
    }

    func audit(_ id: String) async throws -> AuditRecord? {
        if let pg = postgres { return try await pg.audit(id) }
        return try await pool.read { db in try AuditRecord.fetchOne(db, key: id) }
    }

    func artifacts(_ id: String) async throws -> [ArtifactRecord] {
        if let pg = postgres { return try await pg.artifacts(id) }
        return try await pool.read { db in
            try ArtifactRecord.filter(Column("jobId") == id).order(Column("name")).fetchAll(db)
        }
    }

    func events(_ id: String, after: Int64?, limit: Int) async throws -> [EventRecord] {
        if let pg = postgres { return try await pg.events(id, after: after, limit: limit) }
        return try await pool.read { db in
            var request = EventRecord.filter(Column("jobId") == id)
            if let after { request = request.filter(Column("id") > after) }
            return try request.order(Column("id")).limit(limit).fetchAll(db)
        }
    }

    /// The job's last `limit` events, oldest first, and how many it has in all.
    func latestEvents(_ id: String, limit: Int) async throws -> (events: [EventRecord], total: Int) {
        if let pg = postgres { return try await pg.latestEvents(id, limit: limit) }
        return try await pool.read { db in
            let request = EventRecord.filter(Column("jobId") == id)
            let latest = try request.order(Column("id").desc).limit(limit).fetchAll(db)
            return (Array(latest.reversed()), try request.fetchCount(db))
        }
    }

    /// Deletes the job's rows (events, audit, artifacts, webhook records, idempotency keys).
    func deleteRows(_ id: String) async throws {
        if let pg = postgres { return try await pg.deleteRows(id) }
        return try await pool.write { db in
            for table in ["events", "audits", "artifacts", "webhook_deliveries", "webhook_messages", "idempotency_keys"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE jobId = ?", arguments: [id])
            }
            try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
        }
    }

    /// Ended jobs whose inputs (or outputs) are older than the retention.
    func jobsToPurge(inputsBefore: Date?, outputsBefore: Date?) throws -> (inputs: [JobRecord], outputs: [JobRecord]) {
        if let pg = postgres { return try pg.jobsToPurge(inputsBefore: inputsBefore, outputsBefore: outputsBefore) }
        return try pool.read { db in
            let ended = [JobStatus.succeeded, .failed, .cancelled].map(\.rawValue)
            var inputs: [JobRecord] = []
            var outputs: [JobRecord] = []
            if let inputsBefore {
                inputs = try JobRecord.filter(ended.contains(Column("status")) && Column("inputsPurgedAt") == nil
                                              && Column("endedAt") < inputsBefore).fetchAll(db)
            }
            if let outputsBefore {
                outputs = try JobRecord.filter(ended.contains(Column("status")) && Column("outputsPurgedAt") == nil
                                               && Column("endedAt") < outputsBefore).fetchAll(db)
            }
            return (inputs, outputs)
        }
    }

    func markPurged(_ id: String, inputs: Bool, outputs: Bool) throws {
        if let pg = postgres { return try pg.markPurged(id, inputs: inputs, outputs: outputs) }
        return try pool.write { db in
            if inputs { try db.execute(sql: "UPDATE jobs SET inputsPurgedAt = ? WHERE id = ?", arguments: [Date(), id]) }
            if outputs {
                try db.execute(sql: "UPDATE jobs SET outputsPurgedAt = ? WHERE id = ?", arguments: [Date(), id])
                try db.execute(sql: "DELETE FROM artifacts WHERE jobId = ?", arguments: [id])
            }
        }
    }
}
