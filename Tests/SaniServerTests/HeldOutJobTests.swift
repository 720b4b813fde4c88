import Foundation
import GRDB
import Sani
@testable import SaniServer
import XCTest

/// Held-out notes on a job (`heldOut` on `POST /v1/jobs`): notes the model was never fine-tuned on, on which the
/// utility audit is measured instead of a split of the corpus. The job shows them, the worker passes them to the
/// method, they are refused when they are a folder or unknown, a malformed file fails only its own job at
/// validation, and a database made before the column existed upgrades. Every response is checked against
/// openapi.yaml.
final class HeldOutJobTests: XCTestCase {
    static var options: [String: Any] { ["epochs": 1, "batchSize": 2, "sequenceLength": 32, "auditPrefixTokens": 8,
                                         "learningRate": 0.001] }

    /// Two notes about patients who are not in the corpus.
    static func writeHeldOut(to url: URL) throws {
        let lines = ["Patient Ed Hale seen today, MRN 4200001. Stable.", "Patient Flo Ng admitted, MRN 4200002. Stable."]
            .map { String(decoding: try! JSONSerialization.data(withJSONObject: ["text": $0]), as: UTF8.self) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    func testHeldOutNotesAreShownOnTheJobAndUtilityIsMeasuredOnThem() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor()) { $0.workers = 2 }
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("held-out-flow")
        let tar = work.appendingPathComponent("model.tar")
        try TarWriter().write(folder: try ServerFlowTests.tinyModel(in: work), to: tar)
        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try ServerFlowTests.corpus(to: corpusURL)
        let heldOutURL = work.appendingPathComponent("held-out.jsonl")
        try Self.writeHeldOut(to: heldOutURL)
        let model = try await http.upload(tar, name: "tiny-gpt2", tar: true)
        let corpus = try await http.upload(corpusURL, name: "notes.jsonl")
        let heldOut = try await http.upload(heldOutURL, name: "held-out.jsonl")

        let created = try await http.json("POST", "/v1/jobs", ["model": model, "corpus": corpus, "heldOut": heldOut,
                                                               "options": Self.options])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(try created.object()["heldOut"] as? String, heldOut)
        let withNotes = try XCTUnwrap(try created.object()["id"] as? String)
        // Without held-out notes, a quarter of the 4 records (one subject) is kept out of the repair.
        var splitOptions = Self.options
        splitOptions["heldOutFraction"] = 0.25
        let withSplit = try await http.createJob(["model": model, "corpus": corpus, "options": splitOptions])

        // The held-out file is an input of a job: it cannot be deleted under it.
        let inUse = try await http.send("DELETE", "/v1/files/\(heldOut)")
        XCTAssertEqual(inUse.status, 409, inUse.text)
        XCTAssertEqual(inUse.errorCode, "file_in_use")

        let first = try await server.waitForJob(withNotes, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(first["status"] as? String, "succeeded", "\(first)")
        XCTAssertEqual(first["heldOut"] as? String, heldOut)
        let second = try await server.waitForJob(withSplit, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(second["status"] as? String, "succeeded", "\(second)")
        XCTAssertNil(second["heldOut"], "\(second)")
        let listed = try await http.send("GET", "/v1/jobs")
        let rows = try XCTUnwrap(try listed.object()["data"] as? [[String: Any]])
        XCTAssertEqual(rows.first { $0["id"] as? String == withNotes }?["heldOut"] as? String, heldOut)

        for (id, split) in [(withNotes, "held-out"), (withSplit, "held-out split")] {
            let audit = try await http.send("GET", "/v1/jobs/\(id)/audit")
            XCTAssertEqual(audit.status, 200, audit.text)
            let report = try audit.object()
            for stage in ["before", "after"] {
                let utility = try XCTUnwrap((report[stage] as? [String: Any])?["utility"] as? [String: Any], "\(id) \(stage)")
                XCTAssertEqual(utility["split"] as? String, split, "\(id) \(stage)")
                XCTAssertGreaterThan(utility["positions"] as? Int ?? 0, 0, "\(id) \(stage)")
            }
        }

        // Deleting the job purges its held-out notes (no other job uses them); the shared inputs stay.
        let delete = try await http.send("DELETE", "/v1/jobs/\(withNotes)")
        XCTAssertEqual(delete.status, 204)
        let gone = try await http.send("GET", "/v1/files/\(heldOut)")
        XCTAssertEqual(gone.status, 404)
        for id in [model, corpus] {
            let kept = try await http.send("GET", "/v1/files/\(id)")
            XCTAssertEqual(kept.status, 200, "\(id) is still used by \(withSplit)")
        }

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testHeldOutMustBeAnUploadedSingleFile() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("held-out-refused")
        let body = try await FakeInputs.upload(http, in: work)

        var folder = body
        folder["heldOut"] = body["model"]
        let refused = try await http.json("POST", "/v1/jobs", folder)
        XCTAssertEqual(refused.status, 400, refused.text)
        XCTAssertEqual(refused.errorCode, "invalid_corpus")
        XCTAssertTrue(refused.text.contains("heldOut") && refused.text.contains("folder"), refused.text)

        var unknownTerms = body
        unknownTerms["terms"] = "file_nope"
        let termsAnswer = try await http.json("POST", "/v1/jobs", unknownTerms)
        var unknownHeldOut = body
        unknownHeldOut["heldOut"] = "file_nope"
        let heldOutAnswer = try await http.json("POST", "/v1/jobs", unknownHeldOut)
        XCTAssertEqual(heldOutAnswer.status, 400, heldOutAnswer.text)
        XCTAssertEqual(heldOutAnswer.status, termsAnswer.status)
        XCTAssertEqual(heldOutAnswer.errorCode, "unknown_file")
        XCTAssertEqual(heldOutAnswer.errorCode, termsAnswer.errorCode)
        XCTAssertTrue(heldOutAnswer.text.contains("file_nope"), heldOutAnswer.text)

        // Another tenant's file is unknown too.
        let other = try await FakeInputs.upload(server.client(TestServer.keyB), in: work)
        var foreign = body
        foreign["heldOut"] = other["corpus"]
        let foreignAnswer = try await http.json("POST", "/v1/jobs", foreign)
        XCTAssertEqual(foreignAnswer.status, 400)
        XCTAssertEqual(foreignAnswer.errorCode, "unknown_file")

        let jobs = try await http.send("GET", "/v1/jobs")
        XCTAssertEqual((try jobs.object()["data"] as? [Any])?.count, 0, "no refused request left a job")

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testMalformedHeldOutNotesFailTheirJobAtValidationOnly() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("held-out-bad")
        let tar = work.appendingPathComponent("model.tar")
        try TarWriter().write(folder: try ServerFlowTests.tinyModel(in: work), to: tar)
        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try ServerFlowTests.corpus(to: corpusURL)
        let badURL = work.appendingPathComponent("held-out.jsonl")
        try Data("{\"text\": \"Patient Ed Hale seen today.\"}\n{\"text\": \"Patient Flo Ng admitted\n".utf8).write(to: badURL)
        let model = try await http.upload(tar, name: "tiny-gpt2", tar: true)
        let corpus = try await http.upload(corpusURL, name: "notes.jsonl")
        let bad = try await http.upload(badURL, name: "held-out.jsonl")

        let goodJob = try await http.createJob(["model": model, "corpus": corpus, "options": Self.options])
        let badCreated = try await http.json("POST", "/v1/jobs", ["model": model, "corpus": corpus, "heldOut": bad,
                                                                  "options": Self.options])
        XCTAssertEqual(badCreated.status, 201, "the notes are read off the request path: \(badCreated.text)")
        let badJob = try XCTUnwrap(try badCreated.object()["id"] as? String)

        let failed = try await server.waitForJob(badJob, client: http, timeout: 120) { TestServer.isFinal($0) }
        XCTAssertEqual(failed["status"] as? String, "failed", "\(failed)")
        let error = try XCTUnwrap(failed["error"] as? [String: Any], "\(failed)")
        XCTAssertEqual(error["code"] as? String, "invalid_corpus")
        let message = error["message"] as? String ?? ""
        XCTAssertTrue(message.contains("held-out notes"), message)
        XCTAssertTrue(message.contains("line 2"), message)
        XCTAssertFalse(message.contains("/files/") || message.contains(server.data.path) || message.contains(NSTemporaryDirectory()),
                       "the message does not show where the server keeps its data: \(message)")
        XCTAssertNil(failed["startedAt"], "it never ran")
        XCTAssertEqual(failed["attempts"] as? Int, 0)

        let done = try await server.waitForJob(goodJob, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")

        // Deleting the failed job purges its notes and keeps the model and corpus the other job uses.
        let delete = try await http.send("DELETE", "/v1/jobs/\(badJob)")
        XCTAssertEqual(delete.status, 204)
        let gone = try await http.send("GET", "/v1/files/\(bad)")
        XCTAssertEqual(gone.status, 404)
        for id in [model, corpus] {
            let kept = try await http.send("GET", "/v1/files/\(id)")
            XCTAssertEqual(kept.status, 200, id)
        }

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testADatabaseOfThePreviousSchemaUpgradesAndKeepsItsJobs() async throws {
        let data = try TestServer.temporaryFolder("sani-upgrade")
        let url = data.appendingPathComponent("sani.sqlite")
        // The database as the release before held-out notes left it: only migration v1 applied, one job.
        do {
            let queue = try DatabaseQueue(path: url.path)
            try ServerDatabase.migrator.migrate(queue, upTo: "v1")
            try await queue.write { db in
                let columns = try db.columns(in: "jobs").map(\.name)
                XCTAssertFalse(columns.contains("heldOutFileId"))
                try db.execute(sql: """
                    INSERT INTO jobs (id, tenant, status, modelFileId, corpusFileId, termsFileId, optionsJSON, createdAt,
                                      updatedAt, endedAt)
                    VALUES ('job_old', 'tenant-a', 'succeeded', 'file_m', 'file_c', 'file_t', '{}', ?, ?, ?)
                    """, arguments: [Date(), Date(), Date()])
            }
            try queue.close()
        }

        // Opening it applies the new migration; opening it again is harmless.
        for _ in 0..<2 {
            let pool = try ServerDatabase.open(at: url)
            try await pool.read { db in
                XCTAssertTrue(try db.columns(in: "jobs").map(\.name).contains("heldOutFileId"))
                XCTAssertEqual(try ServerDatabase.migrator.appliedMigrations(db), ["v1", "v2", "v3", "v4"])
                XCTAssertTrue(try ServerDatabase.migrator.hasCompletedMigrations(db))
            }
            let old = try XCTUnwrap(try JobStore(pool: pool).jobSync("job_old"))
            XCTAssertEqual(old.termsFileId, "file_t")
            XCTAssertNil(old.heldOutFileId)
            // The new column is written and read back, and the in-use guard sees it.
            try await pool.write { db in
                try db.execute(sql: "UPDATE jobs SET heldOutFileId = 'file_h' WHERE id = 'job_old'")
            }
            XCTAssertEqual(try JobStore(pool: pool).jobSync("job_old")?.heldOutFileId, "file_h")
            let files = FileStore(pool: pool, layout: DataLayout(root: data))
            XCTAssertEqual(try files.users(of: "file_h", exceptJob: nil), ["job_old"])
            try await pool.write { db in
                try db.execute(sql: "UPDATE jobs SET heldOutFileId = NULL WHERE id = 'job_old'")
            }
            try pool.close()
        }

        // The upgraded folder serves the old job: no heldOut, and the resource still matches the document.
        let server = try await TestServer.start(data: data, executor: FakeExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let job = try await http.send("GET", "/v1/jobs/job_old")
        XCTAssertEqual(job.status, 200, job.text)
        XCTAssertEqual(try job.object()["terms"] as? String, "file_t")
        XCTAssertNil(try job.object()["heldOut"])
        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }
}
