import Foundation
import GRDB
import Sani
@testable import SaniServer
import XCTest

/// Calibration notes on a job (`calibration` on `POST /v1/jobs`): notes of the same kind the model never saw,
/// apart from the held-out notes, that the repair trains on with `repairNotes` calibration and that the membership
/// floor reads its level from. The job shows them, the worker passes them to the method (a job that needs them
/// runs), a job that needs them and has none fails at validation, they are refused when they are a folder, unknown
/// or another tenant's, they are an input of their job for deletion and retention, and a database made before the
/// column existed upgrades. Every response is checked against openapi.yaml.
final class CalibrationJobTests: XCTestCase {
    static var options: [String: Any] { ["epochs": 1, "batchSize": 2, "sequenceLength": 32, "auditPrefixTokens": 8,
                                         "learningRate": 0.001] }

    /// Four notes about patients who are neither in the corpus nor in the held-out notes.
    static func writeCalibration(to url: URL) throws {
        var lines: [String] = []
        for (i, name) in ["Gus Lamb", "Hana Ito", "Ivo Sand", "Jo Marsh"].enumerated() {
            let text = "Patient \(name) seen today, MRN \(4_300_000 + i). Stable."
            let start = "Patient ".count
            let record: [String: Any] = ["text": text, "subject": "c\(i)",
                                         "spans": [["start": start, "end": start + name.count, "label": "PATIENT"]]]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    func testAJobWithCalibrationNotesRepairsOnThemAndItsReportSaysSo() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor()) { $0.workers = 2 }
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("calibration-flow")
        let tar = work.appendingPathComponent("model.tar")
        try TarWriter().write(folder: try ServerFlowTests.tinyModel(in: work), to: tar)
        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try ServerFlowTests.corpus(to: corpusURL)
        let calibrationURL = work.appendingPathComponent("calibration.jsonl")
        try Self.writeCalibration(to: calibrationURL)
        let model = try await http.upload(tar, name: "tiny-gpt2", tar: true)
        let corpus = try await http.upload(corpusURL, name: "notes.jsonl")
        let calibration = try await http.upload(calibrationURL, name: "calibration.jsonl")

        var repairOptions = Self.options
        repairOptions["repairNotes"] = "calibration"
        let body: [String: Any] = ["model": model, "corpus": corpus, "calibration": calibration, "options": repairOptions]
        let created = try await http.json("POST", "/v1/jobs", body, headers: ["Idempotency-Key": "with-calibration"])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(try created.object()["calibration"] as? String, calibration)
        let repaired = try XCTUnwrap(try created.object()["id"] as? String)
        // The calibration notes are part of what the request means: the same key without them is another request.
        let again = try await http.json("POST", "/v1/jobs", body, headers: ["Idempotency-Key": "with-calibration"])
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(try again.object()["id"] as? String, repaired)
        var withoutNotes = body
        withoutNotes["calibration"] = nil
        let other = try await http.json("POST", "/v1/jobs", withoutNotes, headers: ["Idempotency-Key": "with-calibration"])
        XCTAssertEqual(other.status, 422, other.text)

        // The membership floor reads the calibration notes when the job has no held-out notes.
        var floorOptions = Self.options
        floorOptions["membershipFloor"] = true
        let floored = try await http.createJob(["model": model, "corpus": corpus, "calibration": calibration,
                                                "options": floorOptions])

        // The calibration file is an input of both jobs: it cannot be deleted under them.
        let inUse = try await http.send("DELETE", "/v1/files/\(calibration)")
        XCTAssertEqual(inUse.status, 409, inUse.text)
        XCTAssertEqual(inUse.errorCode, "file_in_use")

        let done = try await server.waitForJob(repaired, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
        XCTAssertEqual(done["calibration"] as? String, calibration)
        XCTAssertEqual((done["options"] as? [String: Any])?["repairNotes"] as? String, "calibration")
        let listed = try await http.send("GET", "/v1/jobs")
        let rows = try XCTUnwrap(try listed.object()["data"] as? [[String: Any]])
        XCTAssertEqual(rows.first { $0["id"] as? String == repaired }?["calibration"] as? String, calibration)

        let audit = try await http.send("GET", "/v1/jobs/\(repaired)/audit")
        XCTAssertEqual(audit.status, 200, audit.text)
        let reportOptions = try XCTUnwrap(try audit.object()["options"] as? [String: Any], audit.text)
        XCTAssertEqual(reportOptions["repairNotes"] as? String, "calibration", "\(reportOptions)")

        let flooredDone = try await server.waitForJob(floored, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(flooredDone["status"] as? String, "succeeded", "\(flooredDone)")
        let flooredAudit = try await http.send("GET", "/v1/jobs/\(floored)/audit")
        let epochs = try XCTUnwrap(try flooredAudit.object()["epochs"] as? [[String: Any]], flooredAudit.text)
        XCTAssertFalse(epochs.isEmpty)
        for epoch in epochs {
            let floor = try XCTUnwrap(epoch["membershipFloor"] as? [String: Any], "\(epoch)")
            XCTAssertGreaterThan(floor["level"] as? Double ?? 0, 0, "\(floor)")
        }

        // The job page names the calibration notes among the inputs.
        let page = try await http.send("GET", "/v1/dashboard/jobs/\(repaired)", headers: ["Accept": "text/html"])
        XCTAssertEqual(page.status, 200, page.text)
        XCTAssertTrue(page.text.contains("<dt>Calibration notes</dt><dd>calibration.jsonl "), page.text)
        let text = try await http.send("GET", "/v1/dashboard/jobs/\(repaired)")
        XCTAssertTrue(text.text.contains("calibration notes") && text.text.contains(calibration), text.text)

        // Deleting one job keeps the notes the other still uses; deleting both purges them.
        let delete = try await http.send("DELETE", "/v1/jobs/\(repaired)")
        XCTAssertEqual(delete.status, 204)
        let kept = try await http.send("GET", "/v1/files/\(calibration)")
        XCTAssertEqual(kept.status, 200, "\(calibration) is still used by \(floored)")
        let deleteFloored = try await http.send("DELETE", "/v1/jobs/\(floored)")
        XCTAssertEqual(deleteFloored.status, 204)
        let gone = try await http.send("GET", "/v1/files/\(calibration)")
        XCTAssertEqual(gone.status, 404)

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testRepairNotesCalibrationWithoutCalibrationNotesFailsAtValidation() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("calibration-missing")
        let tar = work.appendingPathComponent("model.tar")
        try TarWriter().write(folder: try ServerFlowTests.tinyModel(in: work), to: tar)
        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try ServerFlowTests.corpus(to: corpusURL)
        let heldOutURL = work.appendingPathComponent("held-out.jsonl")
        try HeldOutJobTests.writeHeldOut(to: heldOutURL)
        let model = try await http.upload(tar, name: "tiny-gpt2", tar: true)
        let corpus = try await http.upload(corpusURL, name: "notes.jsonl")
        let heldOut = try await http.upload(heldOutURL, name: "held-out.jsonl")

        // Held-out notes are not calibration notes: the repair does not train on the notes utility is measured on.
        var options = Self.options
        options["repairNotes"] = "calibration"
        let created = try await http.json("POST", "/v1/jobs", ["model": model, "corpus": corpus, "heldOut": heldOut,
                                                               "options": options])
        XCTAssertEqual(created.status, 201, "the option is checked off the request path: \(created.text)")
        let id = try XCTUnwrap(try created.object()["id"] as? String)
        XCTAssertNil(try created.object()["calibration"])

        let failed = try await server.waitForJob(id, client: http, timeout: 120) { TestServer.isFinal($0) }
        XCTAssertEqual(failed["status"] as? String, "failed", "\(failed)")
        let error = try XCTUnwrap(failed["error"] as? [String: Any], "\(failed)")
        XCTAssertEqual(error["code"] as? String, "invalid_options")
        let message = error["message"] as? String ?? ""
        XCTAssertTrue(message.contains("repairNotes calibration") && message.contains("calibration notes"), message)
        XCTAssertNil(failed["startedAt"], "it never ran")
        XCTAssertEqual(failed["attempts"] as? Int, 0)

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testCalibrationMustBeAnUploadedSingleFileOfTheTenant() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("calibration-refused")
        let body = try await FakeInputs.upload(http, in: work)

        var folder = body
        folder["calibration"] = body["model"]
        let refused = try await http.json("POST", "/v1/jobs", folder)
        XCTAssertEqual(refused.status, 400, refused.text)
        XCTAssertEqual(refused.errorCode, "invalid_corpus")
        XCTAssertTrue(refused.text.contains("calibration") && refused.text.contains("folder"), refused.text)

        var unknownHeldOut = body
        unknownHeldOut["heldOut"] = "file_nope"
        let heldOutAnswer = try await http.json("POST", "/v1/jobs", unknownHeldOut)
        var unknownCalibration = body
        unknownCalibration["calibration"] = "file_nope"
        let calibrationAnswer = try await http.json("POST", "/v1/jobs", unknownCalibration)
        XCTAssertEqual(calibrationAnswer.status, 400, calibrationAnswer.text)
        XCTAssertEqual(calibrationAnswer.status, heldOutAnswer.status)
        XCTAssertEqual(calibrationAnswer.errorCode, "unknown_file")
        XCTAssertEqual(calibrationAnswer.errorCode, heldOutAnswer.errorCode)
        XCTAssertTrue(calibrationAnswer.text.contains("calibration") && calibrationAnswer.text.contains("file_nope"),
                      calibrationAnswer.text)

        // Another tenant's file is unknown too.
        let other = try await FakeInputs.upload(server.client(TestServer.keyB), in: work)
        var foreign = body
        foreign["calibration"] = other["corpus"]
        let foreignAnswer = try await http.json("POST", "/v1/jobs", foreign)
        XCTAssertEqual(foreignAnswer.status, 400, foreignAnswer.text)
        XCTAssertEqual(foreignAnswer.errorCode, "unknown_file")

        // Unknown fields are still refused beside it.
        var extra = body
        extra["calibrationNotes"] = body["corpus"]
        let unknownField = try await http.json("POST", "/v1/jobs", extra)
        XCTAssertEqual(unknownField.status, 400, unknownField.text)

        let jobs = try await http.send("GET", "/v1/jobs")
        XCTAssertEqual((try jobs.object()["data"] as? [Any])?.count, 0, "no refused request left a job")

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testCalibrationNotesAreAnInputOfTheirJobForDeletionAndRetention() async throws {
        try await InputRetentionCheck.run(field: "calibration", folder: "calibration-in-use") { http, work in
            try await http.upload(try FakeInputs.corpus(in: work), name: "calibration.jsonl")
        }
    }


    func testADatabaseOfTheV3SchemaUpgradesAndKeepsItsJobs() async throws {
        let data = try TestServer.temporaryFolder("sani-upgrade-v4")
        let url = data.appendingPathComponent("sani.sqlite")
        // The database as the release with base models left it: migrations v1 to v3 applied, one job.
        do {
            let queue = try DatabaseQueue(path: url.path)
            try ServerDatabase.migrator.migrate(queue, upTo: "v3")
            try await queue.write { db in
                let columns = try db.columns(in: "jobs").map(\.name)
                XCTAssertTrue(columns.contains("baseFileId"))
                XCTAssertFalse(columns.contains("calibrationFileId"))
                try db.execute(sql: """
                    INSERT INTO jobs (id, tenant, status, modelFileId, corpusFileId, heldOutFileId, baseFileId, optionsJSON,
                                      createdAt, updatedAt, endedAt)
                    VALUES ('job_old', 'tenant-a', 'succeeded', 'file_m', 'file_c', 'file_h', 'file_b', '{}', ?, ?, ?)
                    """, arguments: [Date(), Date(), Date()])
            }
            try queue.close()
        }

        // Opening it applies the new migration; opening it again is harmless.
        for _ in 0..<2 {
            let pool = try ServerDatabase.open(at: url)
            try await pool.read { db in
                XCTAssertTrue(try db.columns(in: "jobs").map(\.name).contains("calibrationFileId"))
                XCTAssertEqual(try ServerDatabase.migrator.appliedMigrations(db), ["v1", "v2", "v3", "v4"])
                XCTAssertTrue(try ServerDatabase.migrator.hasCompletedMigrations(db))
            }
            let old = try XCTUnwrap(try JobStore(pool: pool).jobSync("job_old"))
            XCTAssertEqual(old.heldOutFileId, "file_h")
            XCTAssertEqual(old.baseFileId, "file_b")
            XCTAssertNil(old.calibrationFileId)
            // The new column is written and read back, and the in-use guard sees it.
            try await pool.write { db in
                try db.execute(sql: "UPDATE jobs SET calibrationFileId = 'file_k' WHERE id = 'job_old'")
            }
            XCTAssertEqual(try JobStore(pool: pool).jobSync("job_old")?.calibrationFileId, "file_k")
            let files = FileStore(pool: pool, layout: DataLayout(root: data))
            XCTAssertEqual(try files.users(of: "file_k", exceptJob: nil), ["job_old"])
            try await pool.write { db in
                try db.execute(sql: "UPDATE jobs SET calibrationFileId = NULL WHERE id = 'job_old'")
            }
            try pool.close()
        }

        // The upgraded folder serves the old job: no calibration, and the resource still matches the document.
        let server = try await TestServer.start(data: data, executor: FakeExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let job = try await http.send("GET", "/v1/jobs/job_old")
        XCTAssertEqual(job.status, 200, job.text)
        XCTAssertEqual(try job.object()["base"] as? String, "file_b")
        XCTAssertNil(try job.object()["calibration"])
        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }
}
