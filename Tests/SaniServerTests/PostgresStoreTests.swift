import Foundation
import Logging
import Sani
@testable import SaniServer
import XCTest

/// The PostgreSQL job store: its address and timestamp handling (always), and against a real PostgreSQL when
/// `SANI_TEST_POSTGRES_URL` names a database the tests may empty (scripts/scaleout.sh starts one and runs these):
/// the job lifecycle as the SQLite store has it, claims that never give one job to two workers, leases that guard
/// every write of a running job and that expire.
final class PostgresStoreTests: XCTestCase {
    // MARK: without a database

    func testDatabaseAddressesAreParsedAndTheirPasswordNeverLogged() throws {
        let url = try PostgresURL("postgres://sani:s%40cret@db.example:6543/jobs?sslmode=require")
        XCTAssertEqual(url.host, "db.example")
        XCTAssertEqual(url.port, 6543)
        XCTAssertEqual(url.user, "sani")
        XCTAssertEqual(url.password, "s@cret")
        XCTAssertEqual(url.database, "jobs")
        XCTAssertEqual(url.sslMode, "require")
        XCTAssertFalse(url.redacted.contains("cret"))
        XCTAssertEqual(try PostgresURL("postgresql://u@[::1]/d").host, "::1")
        XCTAssertEqual(try PostgresURL("postgres://u@h/d").sslMode, "prefer")
        for bad in ["mysql://u@h/d", "postgres://h/d", "postgres://u@h", "postgres://u@h/d?sslmode=maybe", "not a url"] {
            XCTAssertThrowsError(try PostgresURL(bad), bad) { error in
                XCTAssertTrue("\(error)".contains("database.url"), "\(error)")
            }
        }
    }

    func testTimestampsSurviveTheJSONRoundTripToTheMicrosecond() throws {
        let date = Date(timeIntervalSince1970: 1_796_000_123.456789)
        let text = PostgresTime.format(date)
        XCTAssertEqual(text, "2026-11-30T00:55:23.456789Z")
        XCTAssertEqual(try XCTUnwrap(PostgresTime.parse(text)).timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 1e-6)
        // As PostgreSQL's row_to_json writes timestamptz: with an offset, and without a fraction.
        XCTAssertEqual(PostgresTime.parse("2026-11-30T02:55:23.5+02:00")?.timeIntervalSince1970, 1_796_000_123.5)
        XCTAssertEqual(PostgresTime.parse("2026-11-30T00:55:23+00")?.timeIntervalSince1970, 1_796_000_123)
        XCTAssertEqual(PostgresTime.parse("2026-11-29T20:25:23-04:30")?.timeIntervalSince1970, 1_796_000_123)
        XCTAssertNil(PostgresTime.parse("yesterday"))
    }

    func testWorkerAndAPIRolesNeedPostgreSQL() throws {
        var c = ServerConfiguration()
        c.role = "worker"
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("database.url"), "\($0)") }
        c.databaseURL = "postgres://sani@127.0.0.1/sani"
        XCTAssertNoThrow(try c.validate())
        XCTAssertFalse(c.servesHTTP)
        c.role = "api"
        XCTAssertFalse(c.runsJobs)
        c.role = "boss"
        XCTAssertThrowsError(try c.validate())
        c.role = "all"
        c.databaseURL = "sqlite:///tmp/x"
        XCTAssertThrowsError(try c.validate())
        // --print-config shows neither the database password nor a key.
        c.databaseURL = "postgres://sani:hunter2@db:5432/sani"
        c.apiKeys = [ConfiguredAPIKey(tenant: "t1", key: "sk_printed_never_0123456789")]
        let printed = "\(c.redacted)"
        XCTAssertFalse(printed.contains("hunter2"), printed)
        XCTAssertFalse(printed.contains("sk_printed_never"), printed)
        XCTAssertTrue(printed.contains("postgres://sani:REDACTED@db:5432/sani"), printed)
        XCTAssertEqual(c.redacted.apiKeys.first?.hash, c.apiKeys.first?.hash)
    }

    // MARK: against PostgreSQL

    private func store(_ name: String, lease: Double = 30) throws -> PostgresStore {
        guard let url = ProcessInfo.processInfo.environment["SANI_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw XCTSkip("SANI_TEST_POSTGRES_URL is not set (scripts/scaleout.sh sets it)")
        }
        return try PostgresStore(url: url, instance: name, leaseSeconds: lease, logger: Logger(label: "test"))
    }

    private func empty(_ store: PostgresStore) throws {
        try store.writeSync { s in
            try await s.execute("""
                TRUNCATE files, jobs, events, audits, artifacts, api_keys, webhook_messages, webhook_deliveries,
                idempotency_keys RESTART IDENTITY
                """)
        }
    }

    private func job(_ id: String, tenant: String = "t1", status: JobStatus = .queued, webhook: String? = nil) -> JobRecord {
        let now = Date()
        return JobRecord(seq: nil, id: id, tenant: tenant, status: status, modelFileId: "file_m", corpusFileId: "file_c",
                         termsFileId: nil, heldOutFileId: nil, baseFileId: nil, calibrationFileId: nil,
                         optionsJSON: "{\"epochs\":1}",
                         webhookURL: webhook, webhookSecret: webhook == nil ? nil : "secret", createdAt: now, updatedAt: now,
                         startedAt: nil, endedAt: nil, phase: nil, epoch: nil, epochs: nil, step: nil, steps: nil, fraction: nil,
                         loss: nil, etaSeconds: nil, message: nil, errorCode: nil, errorMessage: nil, cancelRequested: false,
                         attempts: 0, tokenRegurgitationBefore: nil, tokenRegurgitationAfter: nil, spanExtractionBefore: nil,
                         spanExtractionAfter: nil, inputsPurgedAt: nil, outputsPurgedAt: nil)
    }

    private func lease(_ store: PostgresStore, _ id: String) throws -> String? {
        try store.readSync { s in
            try await s.values(String?.self, #"SELECT "leaseOwner" FROM jobs WHERE "id" = \#(id)"#).first ?? nil
        }
    }

    func testJobLifecycleEventsIdempotencyAndWebhooks() async throws {
        let pg = try store("api-1")
        try empty(pg)
        let jobs = JobStore(backend: .postgres(pg))
        let (created, isNew) = try await jobs.create(job("job_a", status: .validating, webhook: "http://127.0.0.1:9/hook"),
                                                    idempotencyKey: "k1", requestHash: "h1")
        XCTAssertTrue(isNew)
        XCTAssertNotNil(created.seq)
        let (again, againNew) = try await jobs.create(job("job_other", status: .validating), idempotencyKey: "k1", requestHash: "h1")
        XCTAssertFalse(againNew)
        XCTAssertEqual(again.id, "job_a")
        do {
            _ = try await jobs.create(job("job_x", status: .validating), idempotencyKey: "k1", requestHash: "h2")
            XCTFail("a reused key with another body must be refused")
        } catch let e as APIError {
            XCTAssertEqual(e.code, "idempotency_key_reused")
        }
        let otherTenant = try await jobs.job("job_a", tenant: "t2")
        XCTAssertNil(otherTenant, "another tenant's job is not found")
        XCTAssertNotNil(try jobs.transition("job_a", to: .queued, from: [.validating], message: "inputs are valid; queued"))
        XCTAssertNil(try jobs.transition("job_a", to: .queued, from: [.validating], message: "twice"), "not validating any more")
        let queued = try await jobs.list(tenant: "t1", status: .queued, before: nil, limit: 10)
        XCTAssertEqual(queued.map(\.id), ["job_a"])
        XCTAssertEqual(try jobs.counts()[.queued], 1)
        let events = try await jobs.events("job_a", after: nil, limit: 10)
        XCTAssertEqual(events.map(\.message), ["job created; validating inputs", "inputs are valid; queued"])
        let (latest, total) = try await jobs.latestEvents("job_a", limit: 1)
        XCTAssertEqual(latest.map(\.message), ["inputs are valid; queued"])
        XCTAssertEqual(total, 2)
        // The status change queued a webhook; two processes polling take it once.
        let first = try await pg.claimDueWebhooks(limit: 10, hold: 60)
        let second = try await pg.claimDueWebhooks(limit: 10, hold: 60)
        XCTAssertEqual(first.map(\.eventType), ["job.queued"])
        XCTAssertTrue(second.isEmpty)
        try await jobs.deleteRows("job_a")
        let deleted = try await jobs.job("job_a", tenant: nil)
        let deletedEvents = try await jobs.events("job_a", after: nil, limit: 10)
        XCTAssertNil(deleted)
        XCTAssertTrue(deletedEvents.isEmpty)
    }

    func testTwoWorkersClaimingAtOnceNeverTakeTheSameJob() async throws {
        let a = try store("worker-a"), b = try store("worker-b")
        try empty(a)
        let jobs = JobStore(backend: .postgres(a))
        for i in 0..<24 { _ = try await jobs.create(job(String(format: "job_%02d", i)), idempotencyKey: nil, requestHash: "") }
        func drain(_ s: PostgresStore) -> [String] {
            var got: [String] = []
            while let j = try? s.claimNextQueued(excluding: []) { got.append(j.id) }
            return got
        }
        async let fromA = Task.detached { drain(a) }.value
        async let fromB = Task.detached { drain(b) }.value
        let (ta, tb) = await (fromA, fromB)
        XCTAssertTrue(Set(ta).isDisjoint(with: tb), "a job claimed twice: \(Set(ta).intersection(tb))")
        XCTAssertEqual(Set(ta + tb).count, 24)
        XCTAssertEqual(ta.count + tb.count, 24)
        for id in ta { XCTAssertEqual(try lease(a, id), "worker-a") }
        for id in tb { XCTAssertEqual(try lease(a, id), "worker-b") }
        XCTAssertEqual(try jobs.counts()[.running], 24)
    }

    func testLeasesGuardEveryWriteAndExpire() async throws {
        let a = try store("worker-a", lease: 30), b = try store("worker-b", lease: 30)
        try empty(a)
        let jobsA = JobStore(backend: .postgres(a)), jobsB = JobStore(backend: .postgres(b))
        _ = try await jobsA.create(job("job_1"), idempotencyKey: nil, requestHash: "")
        _ = try await jobsA.create(job("job_2"), idempotencyKey: nil, requestHash: "")
        let one = try XCTUnwrap(try a.claimNextQueued(excluding: []))
        let two = try XCTUnwrap(try b.claimNextQueued(excluding: []))
        XCTAssertEqual([one.id, two.id], ["job_1", "job_2"])
        XCTAssertEqual(one.attempts, 1)

        // B cannot write A's running job: no status change, no progress, no result.
        XCTAssertNil(try jobsB.transition("job_1", to: .failed, from: [.running], message: "not mine"))
        let progress = SanitizationProgress(phase: .repair, epoch: 1, epochs: 2, step: 3, steps: 10, fraction: 0.4,
                                            loss: 1.5, etaSeconds: 9, message: "repair step 3")
        try jobsB.recordProgress("job_1", progress, asEvent: true)
        XCTAssertNil(try jobsA.jobSync("job_1")?.phase)
        let outcome = JobOutcome(reportJSON: Data("{}".utf8), tokenRegurgitationBefore: 1, tokenRegurgitationAfter: 0,
                                 spanExtractionBefore: 1, spanExtractionAfter: 0)
        XCTAssertNil(try jobsB.saveResult("job_1", outcome: outcome, artifacts: []))
        let v1 = try await jobsA.audit("job_1")
        XCTAssertNil(v1)
        try jobsA.recordProgress("job_1", progress, asEvent: true)
        XCTAssertEqual(try jobsA.jobSync("job_1")?.phase, "repair")

        // Renewal: A holds job_1, not job_2; a cancel asked through the API reaches the worker holding the job.
        try await jobsA.requestCancel("job_2")
        XCTAssertEqual(try a.renewLeases(["job_1", "job_2"]).lost, ["job_2"])
        XCTAssertEqual(try b.renewLeases(["job_2"]).cancel, ["job_2"])
        XCTAssertTrue(try a.recoverExpiredLeases().isEmpty, "no lease has run out")

        // A stops renewing: once its lease is past, B takes job_1 back to the queue and claims it; A's late
        // writes are refused and A learns that it lost the job.
        try a.writeSync { s in
            try await s.execute(#"UPDATE jobs SET "leaseExpiresAt" = now() - interval '1 second' WHERE "id" = 'job_1'"#)
        }
        XCTAssertEqual(try b.recoverExpiredLeases(), ["job_1"])
        XCTAssertEqual(try jobsA.jobSync("job_1")?.status, .queued)
        XCTAssertNil(try lease(a, "job_1"))
        let again = try XCTUnwrap(try b.claimNextQueued(excluding: []))
        XCTAssertEqual(again.id, "job_1")
        XCTAssertEqual(again.attempts, 2)
        XCTAssertEqual(try a.renewLeases(["job_1"]).lost, ["job_1"])
        XCTAssertNil(try jobsA.saveResult("job_1", outcome: outcome, artifacts: []))
        XCTAssertNotNil(try jobsB.saveResult("job_1", outcome: outcome, artifacts: [
            ArtifactRecord(jobId: "job_1", name: "report.json", size: 2, sha256: "x", path: "jobs/job_1/artifacts/report.json"),
        ]))
        let done = try XCTUnwrap(try jobsA.jobSync("job_1"))
        XCTAssertEqual(done.status, .succeeded)
        XCTAssertNil(try lease(a, "job_1"), "an ended job holds no lease")
        let v2 = try await jobsA.artifacts("job_1").map(\.name)
        XCTAssertEqual(v2, ["report.json"])
        let messages = try await jobsA.events("job_1", after: nil, limit: 50).filter { $0.type == "status" }.map(\.message)
        XCTAssertEqual(messages.filter { $0 == "succeeded" }.count, 1)
        XCTAssertTrue(messages.contains { $0.contains("stopped renewing its lease") }, "\(messages)")

        // A job whose worker keeps dying is failed after JobStore.maxAttempts runs, not re-queued forever.
        try a.writeSync { s in
            try await s.execute(#"UPDATE jobs SET "attempts" = 3, "leaseExpiresAt" = now() - interval '1 second', "cancelRequested" = FALSE WHERE "id" = 'job_2'"#)
        }
        XCTAssertTrue(try a.recoverExpiredLeases().isEmpty)
        XCTAssertEqual(try jobsA.jobSync("job_2")?.status, .failed)
        XCTAssertEqual(try jobsA.jobSync("job_2")?.errorCode, "interrupted")
    }

    func testADatabaseOfTheFirstSchemaGainsTheCalibrationColumnAndKeepsItsJobs() async throws {
        let pg = try store("api-1")
        try empty(pg)
        // The database as the release before calibration notes left it: only migration v1 applied, one job.
        try pg.writeSync { s in
            try await s.execute(#"ALTER TABLE jobs DROP COLUMN "calibrationFileId""#)
            try await s.execute(#"DELETE FROM sani_migrations WHERE "name" = 'v2'"#)
            try await s.execute(#"""
                INSERT INTO jobs ("id", "tenant", "status", "modelFileId", "corpusFileId", "heldOutFileId", "optionsJSON",
                                  "createdAt", "updatedAt") VALUES ('job_old', 't1', 'succeeded', 'file_m', 'file_c', 'file_h',
                                  '{}', now(), now())
                """#)
        }
        // Opening it applies the new migration; opening it again is harmless.
        for _ in 0..<2 {
            let reopened = try store("api-1")
            let names = try reopened.readSync { s in try await s.values(String.self, #"SELECT "name" FROM sani_migrations ORDER BY "name""#) }
            XCTAssertEqual(names, ["v1", "v2"])
            let jobs = JobStore(backend: .postgres(reopened))
            let old = try XCTUnwrap(try jobs.jobSync("job_old"))
            XCTAssertEqual(old.heldOutFileId, "file_h")
            XCTAssertNil(old.calibrationFileId)
        }
        let jobs = JobStore(backend: .postgres(pg))
        var withNotes = job("job_new")
        withNotes.calibrationFileId = "file_k"
        _ = try await jobs.create(withNotes, idempotencyKey: nil, requestHash: "")
        XCTAssertEqual(try jobs.jobSync("job_new")?.calibrationFileId, "file_k")
    }

    func testFilesAndKeys() async throws {
        let pg = try store("api-1")
        try empty(pg)
        let files = FileStore(backend: .postgres(pg), layout: DataLayout(root: FileManager.default.temporaryDirectory))
        let f = FileRecord(seq: nil, id: "file_m", tenant: "t1", name: "model", kind: "folder", source: "tar", size: 123,
                           sha256: "abc", path: "files/file_m", entries: 3, createdAt: Date())
        let stored = try await files.insert(f)
        XCTAssertNotNil(stored.seq)
        let own = try await files.file("file_m", tenant: "t1")
        let other = try await files.file("file_m", tenant: "t2")
        let listed = try await files.list(tenant: "t1", before: nil, limit: 5)
        XCTAssertEqual(own?.entries, 3)
        XCTAssertNil(other)
        XCTAssertEqual(listed.map(\.id), ["file_m"])
        let jobs = JobStore(backend: .postgres(pg))
        _ = try await jobs.create(job("job_u"), idempotencyKey: nil, requestHash: "")
        XCTAssertEqual(try files.users(of: "file_m", exceptJob: nil), ["job_u"])
        XCTAssertEqual(try files.users(of: "file_m", exceptJob: "job_u"), [])
        // Calibration notes are an input of their job too: written, read back, in use, and not an unused upload.
        let notes = FileRecord(seq: nil, id: "file_k", tenant: "t1", name: "calibration.jsonl", kind: "file", source: "upload",
                               size: 10, sha256: "def", path: "files/file_k", entries: nil,
                               createdAt: Date().addingTimeInterval(-3600))
        _ = try await files.insert(notes)
        var withNotes = job("job_k")
        withNotes.calibrationFileId = "file_k"
        _ = try await jobs.create(withNotes, idempotencyKey: nil, requestHash: "")
        XCTAssertEqual(try jobs.jobSync("job_k")?.calibrationFileId, "file_k")
        XCTAssertEqual(try files.users(of: "file_k", exceptJob: nil), ["job_k"])
        XCTAssertFalse(try pg.unusedFiles(createdBefore: Date()).map(\.id).contains("file_k"))
        try files.purge(stored)
        XCTAssertNil(try files.fileSync("file_m"))

        let keys = APIKeyStore(backend: .postgres(pg))
        try keys.synchronizeConfigured([ConfiguredAPIKey(tenant: "t1", key: "sk_configured_key_1234567890", sha256: nil, admin: false)])
        let added = try keys.addKey(tenant: "t2", admin: true, label: "cli")
        XCTAssertEqual(try keys.count(), 2)
        let v3 = try await keys.caller(forKey: added)
        XCTAssertEqual(v3, Caller(tenant: "t2", admin: true))
        let v4 = try await keys.caller(forKey: "sk_configured_key_1234567890")
        XCTAssertEqual(v4, Caller(tenant: "t1", admin: false))
        let v5 = try await keys.caller(forKey: "sk_wrong")
        XCTAssertNil(v5)
        try keys.synchronizeConfigured([])
        XCTAssertEqual(try keys.count(), 1, "keys added with --add-key stay")
    }
}
