import Foundation
import GRDB
import Sani
@testable import SaniServer
import XCTest

/// What a kill -9 leaves in the data folder, found by `scripts/chaos.sh`, and a full disk: a restart removes the
/// leftovers (an upload moved into place but never recorded, a half-written sanitized folder or archive, the
/// temporary file of a cut checkpoint write, the checkpoints of an ended job), a temporary file of a cut write
/// never becomes an artifact, a job that fails keeps nothing of its work, and "no space left on device" is named
/// as such.
final class CrashLeftoverTests: XCTestCase {
    func testARestartRemovesWhatACrashLeftHalfWritten() async throws {
        let data = try TestServer.temporaryFolder("sani-leftovers")
        let first = try await TestServer.start(data: data, executor: FakeExecutor(mode: .blockUntilCancelled, stepDelay: 0.005))
        let http1 = first.client()
        let work = try TestServer.temporaryFolder("inputs")
        let id = try await http1.createJob(try await FakeInputs.upload(http1, in: work))
        _ = try await first.waitForJob(id, client: http1) { ($0["progress"] as? [String: Any])?["step"] as? Int ?? 0 > 1 }
        await first.crash()

        // What kill -9 leaves at various moments.
        let fm = FileManager.default
        func plant(_ relative: String, _ bytes: Int = 100) throws {
            let url = data.appendingPathComponent(relative)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(repeating: 3, count: bytes).write(to: url)
        }
        try plant("uploads/upload-7D1B3F7A")                                  // an upload being received
        try plant("uploads/extract-5C2E/config.json")                         // a tar being extracted
        try plant("files/file_neverrecorded0000000/model/config.json")        // moved into place, row never written
        try plant("jobs/job_deletedhalfway00000000/output/config.json")       // a job being deleted
        try plant("jobs/\(id)/checkpoints/.weights-2-1A2B3C4D.safetensors.0F0E.tmp")   // a checkpoint write
        try plant("jobs/\(id)/output/.model.safetensors.9A8B7C6D.tmp", 3000)  // the sanitized folder being written
        try plant("jobs/\(id)/output/config.json")
        try plant("jobs/\(id)/artifacts/model.tar", 512)                      // the archive being written

        let finishing = FakeExecutor(steps: 2)
        let second = try await TestServer.start(data: data, executor: finishing)
        let http2 = second.client()
        let job = try await second.waitForJob(id, client: http2) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "succeeded")
        XCTAssertEqual(finishing.resumedRuns, 1, "the job's own checkpoint was kept")

        let listing = try await http2.send("GET", "/v1/jobs/\(id)/artifacts")
        let names = (try listing.object()["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(names, ["config.json", "model.safetensors", "model.tar", "sanitization-report.json"],
                       "a temporary file of the cut write must not become an artifact")
        for gone in ["uploads/upload-7D1B3F7A", "uploads/extract-5C2E", "files/file_neverrecorded0000000",
                     "jobs/job_deletedhalfway00000000", "jobs/\(id)/output/.model.safetensors.9A8B7C6D.tmp",
                     "jobs/\(id)/checkpoints"] {
            XCTAssertFalse(fm.fileExists(atPath: data.appendingPathComponent(gone).path), "\(gone) is still there")
        }
        // The archive is the one the listing describes, not the half-written one.
        let tar = try await http2.send("GET", "/v1/jobs/\(id)/artifacts/model.tar")
        let listed = (try listing.object()["data"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "model.tar" }
        XCTAssertEqual(tar.body.count, listed?["size"] as? Int)
        let downloaded = work.appendingPathComponent("downloaded.tar")
        try tar.body.write(to: downloaded)
        XCTAssertEqual(try FileDigest.sha256(of: downloaded).hex, listed?["sha256"] as? String)
        await second.stop()
    }

    func testEndedJobsLoseTheirCheckpointsAtRestartAndAFailedRunKeepsNothing() async throws {
        let data = try TestServer.temporaryFolder("sani-ended-leftovers")
        let failing = FakeExecutor(mode: .fail(.io(path: "/x", reason: "broken")))
        let first = try await TestServer.start(data: data, executor: failing)
        let http = first.client()
        let work = try TestServer.temporaryFolder("inputs")
        let failed = try await http.createJob(try await FakeInputs.upload(http, in: work))
        let job = try await first.waitForJob(failed, client: http) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "failed")
        let fm = FileManager.default
        XCTAssertFalse(fm.fileExists(atPath: data.appendingPathComponent("jobs/\(failed)/checkpoints").path),
                       "the failed run's checkpoint is removed")
        await first.stop()

        // A crash between recording the outcome and removing the work leaves it: the next start removes it.
        for sub in ["checkpoints/state.json", "output/model.safetensors", "artifacts/model.tar"] {
            let url = data.appendingPathComponent("jobs/\(failed)/\(sub)")
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url)
        }
        let second = try await TestServer.start(data: data, executor: FakeExecutor(steps: 1))
        for sub in ["checkpoints", "output", "artifacts"] {
            XCTAssertFalse(fm.fileExists(atPath: data.appendingPathComponent("jobs/\(failed)/\(sub)").path), sub)
        }
        await second.stop()
    }

    func testAJobThatRunsOutOfSpaceFailsWithDiskFullAsDeclared() async throws {
        let full = FakeExecutor(mode: .fail(.io(path: "/data/jobs/x/checkpoints", reason: "write failed: No space left on device")))
        let server = try await TestServer.start(executor: full)
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("inputs")
        let id = try await http.createJob(try await FakeInputs.upload(http, in: work))
        let job = try await server.waitForJob(id, client: http) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "failed")
        let error = job["error"] as? [String: Any]
        XCTAssertEqual(error?["code"] as? String, "disk_full")
        XCTAssertTrue((error?["message"] as? String ?? "").contains("disk is full"), "\(String(describing: error))")
        XCTAssertEqual(recorder.violations(try OpenAPIDocument.load()), [])
        await server.stop()
    }

    func testNoSpaceLeftOnDeviceIsNamedAsAFullDisk() throws {
        // /dev/full answers every write with ENOSPC, as a full file system does.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full"))
        defer { try? handle.close() }
        var caught: (any Error)?
        do {
            try handle.write(contentsOf: Data(repeating: 0, count: 1 << 16))
            try handle.synchronize()
        } catch { caught = error }
        let error = try XCTUnwrap(caught, "writing to /dev/full did not fail")
        XCTAssertTrue(StorageFull.matches(error), "\(error)")
        let reason = FailureReason.from(error)
        XCTAssertEqual(reason.code, "disk_full")
        XCTAssertTrue(reason.message.contains("disk is full"), reason.message)
        // The engine and the method carry it in their text.
        XCTAssertEqual(FailureReason.from(SaniError.model("io error at /data/jobs/x/output/model.safetensors: write failed: No space left on device")).code,
                       "disk_full")
        // What Foundation's writes say (the engine passes it on as text), found by scripts/chaos.sh --disk-full.
        XCTAssertEqual(FailureReason.from(SaniError.model("model: cannot access config.json: The operation could not be completed. There isn\u{2019}t enough space.")).code,
                       "disk_full")
        XCTAssertTrue(StorageFull.matches(CocoaError(.fileWriteOutOfSpace)))
        XCTAssertEqual(FailureReason.from(JobFailure.storageFull("writing the artifacts")).code, "disk_full")
        XCTAssertEqual(FailureReason.from(SaniError.io(path: "/x", reason: "permission denied")).code, "io_error")
        XCTAssertEqual(StorageFull.uploadError("extracting the tar").status.code, 507)
    }
}
