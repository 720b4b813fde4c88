import Foundation
import GRDB
import Sani
import SaniEngine
@testable import SaniServer
import XCTest

/// A base model on a job (`base` on `POST /v1/jobs`): the model the fine-tune started from, to which erase
/// restores the erased neurons and the embedding rows of identifier tokens. The job shows it, the worker passes it
/// to the method (the report says so), a base of another architecture fails only its own job with a message
/// that names the base model and no server path, it is refused when it is a single file, unknown or the model
/// itself, it is an input like the model for deletion and retention, and a database made before the column
/// existed upgrades. Every response is checked against openapi.yaml.
final class BaseModelJobTests: XCTestCase {
    static var options: [String: Any] { ["epochs": 1, "batchSize": 2, "sequenceLength": 32, "auditPrefixTokens": 8,
                                         "learningRate": 0.001] }

    /// A tiny GPT-2 folder like `ServerFlowTests.tinyModel`, with a chosen depth and seed, as a tar.
    static func tinyModelTar(in work: URL, name: String, layers: Int = 2, seed: UInt64) throws -> URL {
        let tokenizer = try ByteLevelBPETokenizer.load(
            folder: ServerFlowTests.repositoryRoot.appendingPathComponent("Tests/SaniEngineTests/Fixtures/tokenizer/tiny"))
        let eot = tokenizer.endOfTextID
        let config = GPT2Config(vocabularySize: tokenizer.vocabularySize, maxPositions: 64, layers: layers, heads: 2,
                                channels: 32, bosTokenID: eot, eosTokenID: eot)
        let model = try GPT2Model(config: config)
        model.initializeRandomly(seed: seed)
        let folder = work.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try model.save(to: folder)
        try tokenizer.save(to: folder)
        let tar = work.appendingPathComponent("\(name).tar")
        try TarWriter().write(folder: folder, to: tar)
        return tar
    }

    func testAJobWithABaseModelRestoresToItAndItsReportSaysSo() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("base-flow")
        let model = try await http.upload(try Self.tinyModelTar(in: work, name: "tuned", seed: 7), name: "tuned", tar: true)
        let base = try await http.upload(try Self.tinyModelTar(in: work, name: "base", seed: 8), name: "base", tar: true)
        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try ServerFlowTests.corpus(to: corpusURL)
        let corpus = try await http.upload(corpusURL, name: "notes.jsonl")

        let body: [String: Any] = ["model": model, "corpus": corpus, "base": base, "options": Self.options]
        let created = try await http.json("POST", "/v1/jobs", body, headers: ["Idempotency-Key": "with-base"])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(try created.object()["base"] as? String, base)
        let id = try XCTUnwrap(try created.object()["id"] as? String)
        // The base is part of what the request means: the same key without it is another request.
        let again = try await http.json("POST", "/v1/jobs", body, headers: ["Idempotency-Key": "with-base"])
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(try again.object()["id"] as? String, id)
        var withoutBase = body
        withoutBase["base"] = nil
        let other = try await http.json("POST", "/v1/jobs", withoutBase, headers: ["Idempotency-Key": "with-base"])
        XCTAssertEqual(other.status, 422, other.text)

        let done = try await server.waitForJob(id, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
        XCTAssertEqual(done["base"] as? String, base)
        let listed = try await http.send("GET", "/v1/jobs")
        let rows = try XCTUnwrap(try listed.object()["data"] as? [[String: Any]])
        XCTAssertEqual(rows.first { $0["id"] as? String == id }?["base"] as? String, base)

        let audit = try await http.send("GET", "/v1/jobs/\(id)/audit")
        XCTAssertEqual(audit.status, 200, audit.text)
        let erase = try XCTUnwrap(try audit.object()["erase"] as? [String: Any], audit.text)
        XCTAssertEqual(erase["source"] as? String, "base-model", "\(erase)")
        XCTAssertGreaterThan(erase["restoredTokens"] as? Int ?? 0, 0, "the patients' names have tokens of their own: \(erase)")

        // Deleting the job purges its base model with its other inputs.
        let delete = try await http.send("DELETE", "/v1/jobs/\(id)")
        XCTAssertEqual(delete.status, 204, delete.text)
        for file in [model, corpus, base] {
            let gone = try await http.send("GET", "/v1/files/\(file)")
            XCTAssertEqual(gone.status, 404, file)
        }

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testABaseOfAnotherArchitectureFailsOnlyItsJobWithoutShowingPaths() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor()) { $0.workers = 2 }
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("base-other-shape")
        let model = try await http.upload(try Self.tinyModelTar(in: work, name: "tuned", seed: 7), name: "tuned", tar: true)
        let deeper = try await http.upload(try Self.tinyModelTar(in: work, name: "deeper", layers: 3, seed: 8), name: "deeper",
                                           tar: true)
        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try ServerFlowTests.corpus(to: corpusURL)
        let corpus = try await http.upload(corpusURL, name: "notes.jsonl")

        let badJob = try await http.createJob(["model": model, "corpus": corpus, "base": deeper, "options": Self.options])
        let goodJob = try await http.createJob(["model": model, "corpus": corpus, "options": Self.options])

        let failed = try await server.waitForJob(badJob, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(failed["status"] as? String, "failed", "\(failed)")
        let error = try XCTUnwrap(failed["error"] as? [String: Any], "\(failed)")
        XCTAssertEqual(error["code"] as? String, "invalid_model")
        let message = error["message"] as? String ?? ""
        XCTAssertTrue(message.contains("base model") && message.contains("architecture"), message)
        XCTAssertFalse(message.contains("/files/") || message.contains(server.data.path) || message.contains(NSTemporaryDirectory()),
                       "the message does not show where the server keeps its data: \(message)")

        let done = try await server.waitForJob(goodJob, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
        XCTAssertNil(done["base"], "\(done)")
        let audit = try await http.send("GET", "/v1/jobs/\(goodJob)/audit")
        let erase = try XCTUnwrap(try audit.object()["erase"] as? [String: Any], audit.text)
        XCTAssertEqual(erase["source"] as? String, "initialisation", "without a base, erase re-initialises: \(erase)")

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testBaseMustBeAnUploadedModelFolderOtherThanTheModel() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("base-refused")
        let body = try await FakeInputs.upload(http, in: work)

        var singleFile = body
        singleFile["base"] = body["corpus"]
        let single = try await http.json("POST", "/v1/jobs", singleFile)
        XCTAssertEqual(single.status, 400, single.text)
        XCTAssertEqual(single.errorCode, "invalid_model")
        XCTAssertTrue(single.text.contains("base") && single.text.contains("single file"), single.text)

        var itself = body
        itself["base"] = body["model"]
        let same = try await http.json("POST", "/v1/jobs", itself)
        XCTAssertEqual(same.status, 400, same.text)
        XCTAssertEqual(same.errorCode, "invalid_model")
        XCTAssertTrue(same.text.contains("model to sanitize"), same.text)

        var unknownHeldOut = body
        unknownHeldOut["heldOut"] = "file_nope"
        let heldOutAnswer = try await http.json("POST", "/v1/jobs", unknownHeldOut)
        var unknownBase = body
        unknownBase["base"] = "file_nope"
        let baseAnswer = try await http.json("POST", "/v1/jobs", unknownBase)
        XCTAssertEqual(baseAnswer.status, 400, baseAnswer.text)
        XCTAssertEqual(baseAnswer.status, heldOutAnswer.status)
        XCTAssertEqual(baseAnswer.errorCode, "unknown_file")
        XCTAssertEqual(baseAnswer.errorCode, heldOutAnswer.errorCode)
        XCTAssertTrue(baseAnswer.text.contains("base") && baseAnswer.text.contains("file_nope"), baseAnswer.text)

        // Another tenant's model is unknown too.
        let other = try await FakeInputs.upload(server.client(TestServer.keyB), in: work)
        var foreign = body
        foreign["base"] = other["model"]
        let foreignAnswer = try await http.json("POST", "/v1/jobs", foreign)
        XCTAssertEqual(foreignAnswer.status, 400, foreignAnswer.text)
        XCTAssertEqual(foreignAnswer.errorCode, "unknown_file")

        // Unknown fields are still refused beside it.
        var extra = body
        extra["baseModel"] = body["model"]
        let refused = try await http.json("POST", "/v1/jobs", extra)
        XCTAssertEqual(refused.status, 400, refused.text)

        let jobs = try await http.send("GET", "/v1/jobs")
        XCTAssertEqual((try jobs.object()["data"] as? [Any])?.count, 0, "no refused request left a job")

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testTheBaseIsAnInputOfItsJobForDeletionAndRetention() async throws {
        try await InputRetentionCheck.run(field: "base", folder: "base-in-use") { http, work in
            let baseFolder = work.appendingPathComponent("base-upload", isDirectory: true)
            try FileManager.default.createDirectory(at: baseFolder, withIntermediateDirectories: true)
            return try await http.upload(try FakeInputs.modelTar(in: baseFolder), name: "base", tar: true)
        }
    }


    func testADatabaseOfTheV2SchemaUpgradesAndKeepsItsJobs() async throws {
        let data = try TestServer.temporaryFolder("sani-upgrade-v3")
        let url = data.appendingPathComponent("sani.sqlite")
        // The database as the release with held-out notes left it: migrations v1 and v2 applied, one job.
        do {
            let queue = try DatabaseQueue(path: url.path)
            try ServerDatabase.migrator.migrate(queue, upTo: "v2")
            try await queue.write { db in
                let columns = try db.columns(in: "jobs").map(\.name)
                XCTAssertTrue(columns.contains("heldOutFileId"))
                XCTAssertFalse(columns.contains("baseFileId"))
                try db.execute(sql: """
                    INSERT INTO jobs (id, tenant, status, modelFileId, corpusFileId, heldOutFileId, optionsJSON, createdAt,
                                      updatedAt, endedAt)
                    VALUES ('job_old', 'tenant-a', 'succeeded', 'file_m', 'file_c', 'file_h', '{}', ?, ?, ?)
                    """, arguments: [Date(), Date(), Date()])
            }
            try queue.close()
        }

        // Opening it applies the new migration; opening it again is harmless.
        for _ in 0..<2 {
            let pool = try ServerDatabase.open(at: url)
            try await pool.read { db in
                XCTAssertTrue(try db.columns(in: "jobs").map(\.name).contains("baseFileId"))
                XCTAssertEqual(try ServerDatabase.migrator.appliedMigrations(db), ["v1", "v2", "v3", "v4"])
                XCTAssertTrue(try ServerDatabase.migrator.hasCompletedMigrations(db))
            }
            let old = try XCTUnwrap(try JobStore(pool: pool).jobSync("job_old"))
            XCTAssertEqual(old.heldOutFileId, "file_h")
            XCTAssertNil(old.baseFileId)
            // The new column is written and read back, and the in-use guard sees it.
            try await pool.write { db in
                try db.execute(sql: "UPDATE jobs SET baseFileId = 'file_b' WHERE id = 'job_old'")
            }
            XCTAssertEqual(try JobStore(pool: pool).jobSync("job_old")?.baseFileId, "file_b")
            let files = FileStore(pool: pool, layout: DataLayout(root: data))
            XCTAssertEqual(try files.users(of: "file_b", exceptJob: nil), ["job_old"])
            try await pool.write { db in
                try db.execute(sql: "UPDATE jobs SET baseFileId = NULL WHERE id = 'job_old'")
            }
            try pool.close()
        }

        // The upgraded folder serves the old job: no base, and the resource still matches the document.
        let server = try await TestServer.start(data: data, executor: FakeExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let job = try await http.send("GET", "/v1/jobs/job_old")
        XCTAssertEqual(job.status, 200, job.text)
        XCTAssertEqual(try job.object()["heldOut"] as? String, "file_h")
        XCTAssertNil(try job.object()["base"])
        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }
}
