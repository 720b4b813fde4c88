import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Sani

/// The job store on PostgreSQL (`database.url: postgres://…`), shared by several `sani serve` processes on one or
/// several machines: API processes take uploads and jobs, worker processes claim queued jobs with leases.
///
/// A claimed job carries its worker's lease (`leaseOwner`, `leaseExpiresAt`); the worker renews it every
/// `leaseSeconds / 3`. A job whose lease ran out (its worker died or lost the database) goes back to the queue and
/// resumes from its last checkpoint on whichever worker claims it next; the old worker, if it comes back, finds
/// its lease gone and abandons its run without writing anything. Every write a worker makes to a running job
/// checks that the worker still holds its lease, so a job is finished exactly once.
final class PostgresStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// This process, as it appears in `leaseOwner`: host, process id and a random part.
    let instance: String
    let leaseSeconds: Double
    let address: String
    private let runner: Task<Void, Never>

    init(url text: String, instance: String, leaseSeconds: Double, logger: Logger) throws {
        let url = try PostgresURL(text)
        let tls: PostgresClient.Configuration.TLS
        switch url.sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: url.host, port: url.port, username: url.user,
                                                         password: url.password, database: url.database, tls: tls)
        configuration.options.maximumConnections = 8
        configuration.options.connectTimeout = .seconds(10)
        var background = logger
        background.logLevel = .warning
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.client = client
        self.logger = background
        self.instance = instance
        self.leaseSeconds = leaseSeconds
        self.address = url.redacted
        runner = Task { await client.run() }
        do {
            try Blocking.run { [self] in try await migrate() }
        } catch {
            runner.cancel()
            throw ConfigurationError.invalid("database.url \(url.redacted): \(PostgresStore.describe(error))")
        }
    }

    deinit { runner.cancel() }

    /// A readable reason from PostgresNIO's errors (which hide the server's message from `description`).
    static func describe(_ error: any Error) -> String {
        if let t = error as? PostgresTransactionError, let inner = t.closureError ?? t.beginError ?? t.commitError {
            return describe(inner)
        }
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            return "\(e.code)" + (e.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }

    func read<T: Sendable>(_ body: @Sendable (PostgresSession) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await body(PostgresSession(connection: connection, logger: logger))
        }
    }

    func write<T: Sendable>(_ body: @Sendable (PostgresSession) async throws -> T) async throws -> T {
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresSession(connection: connection, logger: logger))
            }
        } catch let e as PostgresTransactionError {
            // The transaction was rolled back; what the body threw (an APIError answered to the client, say) is
            // the error, not the wrapper.
            if let inner = e.closureError ?? e.beginError ?? e.commitError { throw inner }
            throw e
        }
    }

    func readSync<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) throws -> T {
        try Blocking.run { try await self.read(body) }
    }

    func writeSync<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) throws -> T {
        try Blocking.run { try await self.write(body) }
    }

    // MARK: schema

    /// Schema history, as in `ServerDatabase` for SQLite: each step runs once, under an advisory lock so that
    /// processes starting together do not race.
    static let migrations: [(name: String, statements: [String])] = [
        ("v1", [
            """
            CREATE TABLE files ("seq" BIGSERIAL PRIMARY KEY, "id" TEXT NOT NULL UNIQUE, "tenant" TEXT NOT NULL,
              "name" TEXT NOT NULL, "kind" TEXT NOT NULL, "source" TEXT NOT NULL, "size" BIGINT NOT NULL,
              "sha256" TEXT NOT NULL, "path" TEXT NOT NULL, "entries" INTEGER, "createdAt" TIMESTAMPTZ NOT NULL)
            """,
            #"CREATE INDEX files_tenant ON files ("tenant")"#,
            """
            CREATE TABLE jobs ("seq" BIGSERIAL PRIMARY KEY, "id" TEXT NOT NULL UNIQUE, "tenant" TEXT NOT NULL,
              "status" TEXT NOT NULL, "modelFileId" TEXT NOT NULL, "corpusFileId" TEXT NOT NULL, "termsFileId" TEXT,
              "heldOutFileId" TEXT, "baseFileId" TEXT, "optionsJSON" TEXT NOT NULL, "webhookURL" TEXT,
              "webhookSecret" TEXT, "createdAt" TIMESTAMPTZ NOT NULL, "updatedAt" TIMESTAMPTZ NOT NULL,
              "startedAt" TIMESTAMPTZ, "endedAt" TIMESTAMPTZ, "phase" TEXT, "epoch" INTEGER, "epochs" INTEGER,
              "step" INTEGER, "steps" INTEGER, "fraction" DOUBLE PRECISION, "loss" DOUBLE PRECISION,
              "etaSeconds" DOUBLE PRECISION, "message" TEXT, "errorCode" TEXT, "errorMessage" TEXT,
              "cancelRequested" BOOLEAN NOT NULL DEFAULT FALSE, "attempts" INTEGER NOT NULL DEFAULT 0,
              "tokenRegurgitationBefore" DOUBLE PRECISION, "tokenRegurgitationAfter" DOUBLE PRECISION,
              "spanExtractionBefore" DOUBLE PRECISION, "spanExtractionAfter" DOUBLE PRECISION,
              "inputsPurgedAt" TIMESTAMPTZ, "outputsPurgedAt" TIMESTAMPTZ,
              "leaseOwner" TEXT, "leaseExpiresAt" TIMESTAMPTZ)
            """,
            #"CREATE INDEX jobs_tenant ON jobs ("tenant")"#,
            #"CREATE INDEX jobs_status ON jobs ("status", "seq")"#,
            """
            CREATE TABLE events ("id" BIGSERIAL PRIMARY KEY, "jobId" TEXT NOT NULL, "at" TIMESTAMPTZ NOT NULL,
              "type" TEXT NOT NULL, "status" TEXT NOT NULL, "phase" TEXT, "epoch" INTEGER, "step" INTEGER, "steps" INTEGER,
              "fraction" DOUBLE PRECISION, "loss" DOUBLE PRECISION, "etaSeconds" DOUBLE PRECISION, "message" TEXT NOT NULL)
            """,
            #"CREATE INDEX events_job ON events ("jobId", "id")"#,
            #"CREATE TABLE audits ("jobId" TEXT PRIMARY KEY, "reportJSON" TEXT NOT NULL, "createdAt" TIMESTAMPTZ NOT NULL)"#,
            """
            CREATE TABLE artifacts ("jobId" TEXT NOT NULL, "name" TEXT NOT NULL, "size" BIGINT NOT NULL,
              "sha256" TEXT NOT NULL, "path" TEXT NOT NULL, PRIMARY KEY ("jobId", "name"))
            """,
            """
            CREATE TABLE api_keys ("hash" TEXT PRIMARY KEY, "tenant" TEXT NOT NULL, "admin" BOOLEAN NOT NULL DEFAULT FALSE,
              "label" TEXT NOT NULL, "source" TEXT NOT NULL, "createdAt" TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE webhook_messages ("id" TEXT PRIMARY KEY, "jobId" TEXT NOT NULL, "url" TEXT NOT NULL,
              "eventType" TEXT NOT NULL, "payload" TEXT NOT NULL, "state" TEXT NOT NULL,
              "attempts" INTEGER NOT NULL DEFAULT 0, "nextAttemptAt" TIMESTAMPTZ NOT NULL, "createdAt" TIMESTAMPTZ NOT NULL)
            """,
            #"CREATE INDEX webhook_messages_due ON webhook_messages ("state", "nextAttemptAt")"#,
            """
            CREATE TABLE webhook_deliveries ("id" BIGSERIAL PRIMARY KEY, "messageId" TEXT NOT NULL, "jobId" TEXT NOT NULL,
              "attempt" INTEGER NOT NULL, "attemptedAt" TIMESTAMPTZ NOT NULL, "statusCode" INTEGER, "error" TEXT,
              "succeeded" BOOLEAN NOT NULL, "milliseconds" DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE idempotency_keys ("tenant" TEXT NOT NULL, "key" TEXT NOT NULL, "requestHash" TEXT NOT NULL,
              "jobId" TEXT NOT NULL, "createdAt" TIMESTAMPTZ NOT NULL, PRIMARY KEY ("tenant", "key"))
            """,
        ]),
        // Optional calibration notes of a job (`calibration` on POST /v1/jobs; SQLite migration v4).
        ("v2", [#"ALTER TABLE jobs ADD COLUMN "calibrationFileId" TEXT"#]),
    ]

    private func migrate() async throws {
        try await write { s in
            try await s.execute("SELECT pg_advisory_xact_lock(7301996)")
            try await s.execute(#"CREATE TABLE IF NOT EXISTS sani_migrations ("name" TEXT PRIMARY KEY, "at" TIMESTAMPTZ NOT NULL)"#)
            let done = Set(try await s.values(String.self, #"SELECT "name" FROM sani_migrations"#))
            for migration in Self.migrations where !done.contains(migration.name) {
                for statement in migration.statements { try await s.execute(PostgresQuery(unsafeSQL: statement)) }
                try await s.execute(#"INSERT INTO sani_migrations ("name", "at") VALUES (\#(migration.name), now())"#)
            }
        }
    }

    func ping() async throws {
        _ = try await read { s in try await s.values(Int32.self, "SELECT 1") }
    }

    // MARK: jobs

    private struct Lease: Decodable { var leaseOwner: String? }

    static func fetchJob(_ s: PostgresSession, _ id: String, tenant: String?, lock: Bool = false) async throws -> JobRecord? {
        var q: PostgresQuery = #"SELECT * FROM jobs WHERE "id" = \#(id)"#
        if let tenant { q.sql += #" AND "tenant" = $2"#; q.binds.append(tenant) }
        if lock { q.sql += " FOR UPDATE" }
        return try await s.row(JobRecord.self, q)
    }

    func createJob(_ job: JobRecord, idempotencyKey: String?, requestHash: String) async throws -> (JobRecord, Bool) {
        try await write { s in
            if let key = idempotencyKey {
                // Two API processes given the same key at once: the second waits here and then sees the first's job.
                try await s.execute("SELECT pg_advisory_xact_lock(hashtext(\(job.tenant + "\u{1}" + key)))")
                if let seen = try await s.row(IdempotencyRecord.self,
                                              #"SELECT * FROM idempotency_keys WHERE "tenant" = \#(job.tenant) AND "key" = \#(key)"#) {
                    guard seen.requestHash == requestHash else {
                        throw APIError(.unprocessableContent, "idempotency_key_reused",
                                       "Idempotency-Key \"\(key)\" was already used with a different request body")
                    }
                    if let existing = try await Self.fetchJob(s, seen.jobId, tenant: nil) { return (existing, false) }
                }
            }
            var job = job
            job.seq = try await s.insert(.jobs, job)
            try await Self.recordEvent(s, job: job, type: "status", message: "job created; validating inputs")
            if let key = idempotencyKey {
                try await s.insert(.idempotency, IdempotencyRecord(tenant: job.tenant, key: key, requestHash: requestHash,
                                                                   jobId: job.id, createdAt: Date()), upsert: true)
            }
            return (job, true)
        }
    }

    func job(_ id: String, tenant: String?) async throws -> JobRecord? {
        try await read { s in try await Self.fetchJob(s, id, tenant: tenant) }
    }

    func listJobs(tenant: String?, status: JobStatus?, before: Int64?, limit: Int) async throws -> [JobRecord] {
        try await read { s in
            var q: PostgresQuery = "SELECT * FROM jobs WHERE TRUE"
            if let tenant { q.binds.append(tenant); q.sql += #" AND "tenant" = $\#(q.binds.count)"# }
            if let status { q.binds.append(status.rawValue); q.sql += #" AND "status" = $\#(q.binds.count)"# }
            if let before { q.binds.append(before); q.sql += #" AND "seq" < $\#(q.binds.count)"# }
            q.sql += #" ORDER BY "seq" DESC LIMIT \#(limit)"#
            return try await s.rows(JobRecord.self, q)
        }
    }

    func counts() async throws -> [JobStatus: Int] {
        try await read { s in
            struct Count: Decodable { var status: String; var n: Int }
            var out: [JobStatus: Int] = [:]
            for c in try await s.rows(Count.self, #"SELECT "status", COUNT(*)::integer AS n FROM jobs GROUP BY "status""#) {
                if let status = JobStatus(rawValue: c.status) { out[status] = c.n }
            }
            return out
        }
    }

    static func recordEvent(_ s: PostgresSession, job: JobRecord, type: String, message: String) async throws {
        try await s.insert(.events, EventRecord.of(job, type: type, message: message))
    }

    /// The job's row, locked for the transaction, with the worker holding its lease.
    static func lockJob(_ s: PostgresSession, _ id: String) async throws -> (job: JobRecord, leaseOwner: String?)? {
        guard let text = try await s.texts(#"SELECT * FROM jobs WHERE "id" = \#(id) FOR UPDATE"#).first else { return nil }
        let job = try PostgresTime.decoder.decode(JobRecord.self, from: Data(text.utf8))
        return (job, try PostgresTime.decoder.decode(Lease.self, from: Data(text.utf8)).leaseOwner)
    }

    /// `JobStore.transition` on PostgreSQL. A running job held by another worker's lease is not changed (nil),
    /// unless `overrideLease` (the recovery of an expired lease).
    func transition(_ s: PostgresSession, _ id: String, to status: JobStatus, from: Set<JobStatus>?, message: String,
                    error: (code: String, message: String)?, update: ((inout JobRecord) -> Void)?,
                    overrideLease: Bool = false) async throws -> JobRecord? {
        guard let locked = try await Self.lockJob(s, id) else { return nil }
        var job = locked.job
        if job.status == .running, !overrideLease, let owner = locked.leaseOwner, owner != instance { return nil }
        guard JobStore.apply(&job, to: status, from: from, error: error, update: update) else { return nil }
        try await s.update(.jobs, job, id: id)
        if status != .running {
            try await s.execute(#"UPDATE jobs SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL WHERE "id" = \#(id)"#)
        }
        try await Self.recordEvent(s, job: job, type: "status", message: message)
        if let url = job.webhookURL {
            try await s.insert(.webhookMessages, WebhookOutbox.message(for: job, url: url))
        }
        return job
    }

    func transitionSync(_ id: String, to status: JobStatus, from: Set<JobStatus>?, message: String,
                        error: (code: String, message: String)?, update: (@Sendable (inout JobRecord) -> Void)?) throws -> JobRecord? {
        try writeSync { s in
            try await self.transition(s, id, to: status, from: from, message: message, error: error, update: update)
        }
    }

    func recordProgress(_ id: String, _ p: SanitizationProgress, asEvent: Bool) throws {
        try writeSync { s in
            guard let locked = try await Self.lockJob(s, id), locked.job.status == .running,
                  locked.leaseOwner == nil || locked.leaseOwner == self.instance else { return }
            var job = locked.job
            JobStore.applyProgress(&job, p)
            try await s.update(.jobs, job, id: id)
            if asEvent { try await Self.recordEvent(s, job: job, type: "progress", message: p.message) }
        }
    }

    /// Takes the oldest queued job no other worker is taking at this moment, marks it running under this
    /// process's lease.
    func claimNextQueued(excluding: Set<String>) throws -> JobRecord? {
        let excluded = Array(excluding)
        return try writeSync { s in
            let q: PostgresQuery = """
                SELECT "id" FROM jobs WHERE "status" = 'queued' AND NOT ("id" = ANY(\(excluded)))
                ORDER BY "seq" LIMIT 1 FOR UPDATE SKIP LOCKED
                """
            guard let id = try await s.values(String.self, q).first else { return nil }
            let job = try await self.transition(s, id, to: .running, from: [.queued], message: "started on \(self.instance)",
                                                error: nil) { $0.attempts += 1 }
            try await s.execute("""
                UPDATE jobs SET "leaseOwner" = \(self.instance),
                  "leaseExpiresAt" = now() + make_interval(secs => \(self.leaseSeconds)) WHERE "id" = \(id)
                """)
            return job
        }
    }

    /// Renews this process's leases on `ids`. Returns the jobs whose lease this process no longer holds (another
    /// worker took them after the lease ran out) and those a client asked to cancel.
    func renewLeases(_ ids: [String]) throws -> (lost: [String], cancel: [String]) {
        guard !ids.isEmpty else { return ([], []) }
        return try writeSync { s in
            var held: [(id: String, cancelRequested: Bool)] = []
            let q: PostgresQuery = """
                UPDATE jobs SET "leaseExpiresAt" = now() + make_interval(secs => \(self.leaseSeconds))
                WHERE "id" = ANY(\(ids)) AND "status" = 'running' AND "leaseOwner" = \(self.instance)
                RETURNING "id", "cancelRequested"
                """
            for try await row in try await s.connection.query(q, logger: s.logger) {
                let (id, cancel) = try row.decode((String, Bool).self)
                held.append((id, cancel))
            }
            let kept = Set(held.map(\.id))
            return (ids.filter { !kept.contains($0) }, held.filter(\.cancelRequested).map(\.id))
        }
    }

    /// Running jobs whose lease ran out go back to the queue (or fail after `JobStore.maxAttempts` runs, or end
    /// cancelled when a cancel was asked). Any process may run this; each expired job is taken by one.
    func recoverExpiredLeases() throws -> [String] {
        try writeSync { s in
            struct Expired: Decodable { var id: String; var leaseOwner: String? }
            let expired = try await s.rows(Expired.self, """
                SELECT "id", "leaseOwner" FROM jobs WHERE "status" = 'running'
                AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < now()) ORDER BY "seq" FOR UPDATE SKIP LOCKED
                """)
            var requeued: [String] = []
            for e in expired {
                guard let job = try await Self.fetchJob(s, e.id, tenant: nil) else { continue }
                let who = e.leaseOwner.map { "its worker \($0)" } ?? "its worker"
                if job.cancelRequested {
                    _ = try await self.transition(s, job.id, to: .cancelled, from: [.running],
                                                  message: "cancelled (\(who) stopped while cancelling)", error: nil,
                                                  update: nil, overrideLease: true)
                } else if job.attempts >= JobStore.maxAttempts {
                    _ = try await self.transition(s, job.id, to: .failed, from: [.running],
                                                  message: "failed: interrupted \(job.attempts) times",
                                                  error: ("interrupted", "the worker running this job stopped during each of its \(job.attempts) runs; "
                                                          + "it is not retried again (check the workers' logs and memory for this model and corpus)"),
                                                  update: nil, overrideLease: true)
                } else {
                    _ = try await self.transition(s, job.id, to: .queued, from: [.running],
                                                  message: "re-queued: \(who) stopped renewing its lease; resumes from its last checkpoint",
                                                  error: nil, update: nil, overrideLease: true)
                    requeued.append(job.id)
                }
            }
            return requeued
        }
    }

    /// Jobs left `validating` for longer than `olderThan` seconds (their API process stopped while checking them).
    func staleValidating(olderThan seconds: Double) throws -> [String] {
        try readSync { s in
            try await s.values(String.self, """
                SELECT "id" FROM jobs WHERE "status" = 'validating' AND "updatedAt" < now() - make_interval(secs => \(seconds))
                """)
        }
    }

    func requestCancel(_ id: String) async throws {
        try await write { s in
            try await s.execute(#"UPDATE jobs SET "cancelRequested" = TRUE, "updatedAt" = now() WHERE "id" = \#(id)"#)
        }
    }

    func saveResult(_ id: String, outcome: JobOutcome, artifacts: [ArtifactRecord]) throws -> JobRecord? {
        let report = String(decoding: outcome.reportJSON, as: UTF8.self)
        let before = (outcome.tokenRegurgitationBefore, outcome.tokenRegurgitationAfter,
                      outcome.spanExtractionBefore, outcome.spanExtractionAfter)
        return try writeSync { s in
            // The lease is checked first: a worker that lost its job writes none of its results.
            guard let (_, leaseOwner) = try await Self.lockJob(s, id),
                  leaseOwner == nil || leaseOwner == self.instance else { return nil }
            try await s.insert(.audits, AuditRecord(jobId: id, reportJSON: report, createdAt: Date()), upsert: true)
            try await s.execute(#"DELETE FROM artifacts WHERE "jobId" = \#(id)"#)
            for a in artifacts { try await s.insert(.artifacts, a) }
            return try await self.transition(s, id, to: .succeeded, from: [.running], message: "succeeded", error: nil) { job in
                job.tokenRegurgitationBefore = before.0
                job.tokenRegurgitationAfter = before.1
                job.spanExtractionBefore = before.2
                job.spanExtractionAfter = before.3
                job.fraction = 1
                job.message = "done"
            }
        }
    }

    func audit(_ id: String) async throws -> AuditRecord? {
        try await read { s in try await s.row(AuditRecord.self, #"SELECT * FROM audits WHERE "jobId" = \#(id)"#) }
    }

    func artifacts(_ id: String) async throws -> [ArtifactRecord] {
        try await read { s in try await s.rows(ArtifactRecord.self, #"SELECT * FROM artifacts WHERE "jobId" = \#(id) ORDER BY "name""#) }
    }

    func events(_ id: String, after: Int64?, limit: Int) async throws -> [EventRecord] {
        try await read { s in
            try await s.rows(EventRecord.self, """
                SELECT * FROM events WHERE "jobId" = \(id) AND "id" > \(after ?? 0) ORDER BY "id" LIMIT \(limit)
                """)
        }
    }

    func latestEvents(_ id: String, limit: Int) async throws -> ([EventRecord], Int) {
        try await read { s in
            let latest = try await s.rows(EventRecord.self, #"SELECT * FROM events WHERE "jobId" = \#(id) ORDER BY "id" DESC LIMIT \#(limit)"#)
            let total = try await s.values(Int64.self, #"SELECT COUNT(*) FROM events WHERE "jobId" = \#(id)"#).first ?? 0
            return (Array(latest.reversed()), Int(total))
        }
    }

    func deleteRows(_ id: String) async throws {
        try await write { s in
            for table in ["events", "audits", "artifacts", "webhook_deliveries", "webhook_messages", "idempotency_keys"] {
                try await s.execute(PostgresQuery(unsafeSQL: #"DELETE FROM \#(table) WHERE "jobId" = $1"#, binds: Self.binds(id)))
            }
            try await s.execute(#"DELETE FROM jobs WHERE "id" = \#(id)"#)
        }
    }

    static func binds(_ values: String...) -> PostgresBindings {
        var b = PostgresBindings()
        for v in values { b.append(v) }
        return b
    }

    func jobsToPurge(inputsBefore: Date?, outputsBefore: Date?) throws -> (inputs: [JobRecord], outputs: [JobRecord]) {
        try readSync { s in
            var inputs: [JobRecord] = []
            var outputs: [JobRecord] = []
            let ended = "('succeeded', 'failed', 'cancelled')"
            if let inputsBefore {
                inputs = try await s.rows(JobRecord.self, PostgresQuery(unsafeSQL: """
                    SELECT * FROM jobs WHERE "status" IN \(ended) AND "inputsPurgedAt" IS NULL AND "endedAt" < $1::timestamptz
                    """, binds: Self.binds(PostgresTime.format(inputsBefore))))
            }
            if let outputsBefore {
                outputs = try await s.rows(JobRecord.self, PostgresQuery(unsafeSQL: """
                    SELECT * FROM jobs WHERE "status" IN \(ended) AND "outputsPurgedAt" IS NULL AND "endedAt" < $1::timestamptz
                    """, binds: Self.binds(PostgresTime.format(outputsBefore))))
            }
            return (inputs, outputs)
        }
    }

    func markPurged(_ id: String, inputs: Bool, outputs: Bool) throws {
        try writeSync { s in
            if inputs { try await s.execute(#"UPDATE jobs SET "inputsPurgedAt" = now() WHERE "id" = \#(id)"#) }
            if outputs {
                try await s.execute(#"UPDATE jobs SET "outputsPurgedAt" = now() WHERE "id" = \#(id)"#)
                try await s.execute(#"DELETE FROM artifacts WHERE "jobId" = \#(id)"#)
            }
        }
    }

    /// Every job, for the start-up sweep of the data folder.
    func allJobs() throws -> [JobRecord] {
        try readSync { s in try await s.rows(JobRecord.self, "SELECT * FROM jobs") }
    }

    // MARK: files

    func insertFile(_ file: FileRecord) async throws -> FileRecord {
        try await write { s in
            var f = file
            f.seq = try await s.insert(.files, file)
            return f
        }
    }

    func file(_ id: String, tenant: String?) async throws -> FileRecord? {
        try await read { s in
            var q: PostgresQuery = #"SELECT * FROM files WHERE "id" = \#(id)"#
            if let tenant { q.binds.append(tenant); q.sql += #" AND "tenant" = $2"# }
            return try await s.row(FileRecord.self, q)
        }
    }

    func listFiles(tenant: String?, before: Int64?, limit: Int) async throws -> [FileRecord] {
        try await read { s in
            var q: PostgresQuery = "SELECT * FROM files WHERE TRUE"
            if let tenant { q.binds.append(tenant); q.sql += #" AND "tenant" = $\#(q.binds.count)"# }
            if let before { q.binds.append(before); q.sql += #" AND "seq" < $\#(q.binds.count)"# }
            q.sql += #" ORDER BY "seq" DESC LIMIT \#(limit)"#
            return try await s.rows(FileRecord.self, q)
        }
    }

    func fileUsers(of fileId: String, exceptJob: String?) throws -> [String] {
        try readSync { s in
            try await s.values(String.self, """
                SELECT "id" FROM jobs WHERE \(fileId) IN ("modelFileId", "corpusFileId", "termsFileId", "heldOutFileId", "baseFileId",
                                                          "calibrationFileId")
                AND "id" IS DISTINCT FROM \(exceptJob) AND "inputsPurgedAt" IS NULL
                """)
        }
    }

    func deleteFile(_ id: String) throws {
        try writeSync { s in try await s.execute(#"DELETE FROM files WHERE "id" = \#(id)"#) }
    }

    func allFileIds() throws -> [String] {
        try readSync { s in try await s.values(String.self, #"SELECT "id" FROM files"#) }
    }

    func unusedFiles(createdBefore: Date) throws -> [FileRecord] {
        try readSync { s in
            try await s.rows(FileRecord.self, PostgresQuery(unsafeSQL: """
                SELECT * FROM files f WHERE "createdAt" < $1::timestamptz AND NOT EXISTS (SELECT 1 FROM jobs j WHERE f."id" IN
                  (j."modelFileId", j."corpusFileId", j."termsFileId", j."heldOutFileId", j."baseFileId",
                   j."calibrationFileId"))
                """, binds: Self.binds(PostgresTime.format(createdBefore))))
        }
    }

    // MARK: API keys

    func synchronizeConfigured(_ keys: [ConfiguredAPIKey]) throws {
        try writeSync { s in
            try await s.execute("SELECT pg_advisory_xact_lock(7301997)")
            try await s.execute(#"DELETE FROM api_keys WHERE "source" = 'config'"#)
            for (i, key) in keys.enumerated() {
                try await s.insert(.apiKeys, APIKeyRecord(hash: key.hash, tenant: key.tenant, admin: key.admin,
                                                          label: "config #\(i + 1)", source: "config", createdAt: Date()),
                                   upsert: true)
            }
        }
    }

    func addKey(_ record: APIKeyRecord) throws {
        try writeSync { s in try await s.insert(.apiKeys, record) }
    }

    func keyCount() throws -> Int {
        try readSync { s in Int(try await s.values(Int64.self, "SELECT COUNT(*) FROM api_keys").first ?? 0) }
    }

    func key(hash: String) async throws -> APIKeyRecord? {
        try await read { s in try await s.row(APIKeyRecord.self, #"SELECT * FROM api_keys WHERE "hash" = \#(hash)"#) }
    }

    // MARK: webhooks

    /// Due messages, each taken by one process: its next attempt moves `hold` seconds ahead while this process
    /// delivers it (a process that dies meanwhile leaves it to be taken again after that).
    func claimDueWebhooks(limit: Int, hold: Double) async throws -> [WebhookMessageRecord] {
        try await write { s in
            let due = try await s.rows(WebhookMessageRecord.self, """
                SELECT * FROM webhook_messages WHERE "state" = 'pending' AND "nextAttemptAt" <= now()
                ORDER BY "nextAttemptAt" LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """)
            let ids = due.map(\.id)
            if !ids.isEmpty {
                try await s.execute("""
                    UPDATE webhook_messages SET "nextAttemptAt" = now() + make_interval(secs => \(hold)) WHERE "id" = ANY(\(ids))
                    """)
            }
            return due
        }
    }

    func recordDelivery(message: WebhookMessageRecord, delivery: WebhookDeliveryRecord) async throws {
        try await write { s in
            try await s.insert(.webhookDeliveries, delivery)
            try await s.update(.webhookMessages, message, id: message.id)
        }
    }
}
