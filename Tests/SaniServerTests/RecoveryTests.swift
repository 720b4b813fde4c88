import Foundation
import GRDB
import Sani
@testable import SaniServer
import XCTest

/// Crash safety, graceful shutdown, retention and webhooks.
final class RecoveryTests: XCTestCase {
    func testJobLeftRunningByACrashIsRequeuedAndCompletesAfterRestart() async throws {
        let data = try TestServer.temporaryFolder("sani-restart")
        let blocking = FakeExecutor(mode: .blockUntilCancelled, stepDelay: 0.005)
        let first = try await TestServer.start(data: data, executor: blocking)
        let http1 = first.client()
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http1, in: work)
        let id = try await http1.createJob(body)
        _ = try await first.waitForJob(id, client: http1) { ($0["progress"] as? [String: Any])?["step"] as? Int ?? 0 > 2 }
        await first.crash()

        // The database still says running, as after kill -9.
        let pool = try ServerDatabase.open(at: data.appendingPathComponent("sani.sqlite"))
        XCTAssertEqual(try JobStore(pool: pool).jobSync(id)?.status, .running)

        let finishing = FakeExecutor(steps: 3)
        let second = try await TestServer.start(data: data, executor: finishing)
        let http2 = second.client()
        let job = try await second.waitForJob(id, client: http2) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "succeeded")
        XCTAssertEqual(job["attempts"] as? Int, 2)
        XCTAssertEqual(finishing.resumedRuns, 1, "the second run found the first run's checkpoint")
        XCTAssertEqual(finishing.checkpoints.first?.standardizedFileURL.path,
                       data.appendingPathComponent("jobs/\(id)/checkpoints").standardizedFileURL.path)
        let events = try await http2.send("GET", "/v1/jobs/\(id)/events?limit=1000")
        let messages = (try events.object()["data"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(messages.contains { $0.contains("re-queued after a server restart") }, "\(messages)")
        await second.stop()
    }

    func testAJobThatKeepsCrashingTheServerIsFailedAfterThreeRuns() async throws {
        let data = try TestServer.temporaryFolder("sani-crash-loop")
        let work = try TestServer.temporaryFolder("inputs")
        var id = ""
        for run in 1...3 {
            let server = try await TestServer.start(data: data, executor: FakeExecutor(mode: .blockUntilCancelled, stepDelay: 0.005))
            let http = server.client()
            if run == 1 { id = try await http.createJob(try await FakeInputs.upload(http, in: work)) }
            _ = try await server.waitForJob(id, client: http) {
                $0["status"] as? String == "running" && $0["attempts"] as? Int == run
            }
            await server.crash()
        }
        let last = try await TestServer.start(data: data, executor: FakeExecutor(steps: 1))
        let recorder = ConformanceRecorder()
        let job = try await last.waitForJob(id, client: last.client(recorder: recorder)) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "failed")
        XCTAssertEqual((job["error"] as? [String: Any])?["code"] as? String, "interrupted")
        // The code is one openapi.yaml declares (it was missing from its enum).
        XCTAssertEqual(recorder.violations(try OpenAPIDocument.load()), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: data.appendingPathComponent("jobs/\(id)/checkpoints").path),
                       "the failed job keeps no checkpoint")
        await last.stop()
    }

    func testGracefulStopRequeuesTheRunningJob() async throws {
        let data = try TestServer.temporaryFolder("sani-graceful")
        let first = try await TestServer.start(data: data, executor: FakeExecutor(mode: .blockUntilCancelled, stepDelay: 0.005))
        let http1 = first.client()
        let work = try TestServer.temporaryFolder("inputs")
        let id = try await http1.createJob(try await FakeInputs.upload(http1, in: work))
        _ = try await first.waitForJob(id, client: http1) { $0["status"] as? String == "running" }
        await first.stop()
        let pool = try ServerDatabase.open(at: data.appendingPathComponent("sani.sqlite"))
        XCTAssertEqual(try JobStore(pool: pool).jobSync(id)?.status, .queued)

        let second = try await TestServer.start(data: data, executor: FakeExecutor(steps: 2))
        let job = try await second.waitForJob(id, client: second.client()) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "succeeded")
        await second.stop()
    }

    func testRetentionPurgesInputsAfterTheJobEnds() async throws {
        let server = try await TestServer.start(executor: FakeExecutor(steps: 1)) { c in
            c.inputRetentionSeconds = 0.3
            c.retentionSweepSeconds = 0.1
        }
        let http = server.client()
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work)
        let id = try await http.createJob(body)
        _ = try await server.waitForJob(id, client: http) { TestServer.isFinal($0) }
        let job = try await server.waitForJob(id, client: http, timeout: 10) { $0["inputsPurged"] as? Bool == true }
        XCTAssertEqual(job["status"] as? String, "succeeded")
        let model = try await http.send("GET", "/v1/files/\(body["model"] as? String ?? "")")
        XCTAssertEqual(model.status, 404)
        // Outputs are kept (outputs retention is longer).
        let artifacts = try await http.send("GET", "/v1/jobs/\(id)/artifacts")
        XCTAssertEqual((try artifacts.object()["data"] as? [Any])?.count, 4)
        await server.stop()
    }

    func testWebhooksAreSignedRetriedAndRecorded() async throws {
        let receiver = try await WebhookReceiver.start(failFirst: 1)
        let server = try await TestServer.start(executor: FakeExecutor(steps: 1)) { c in
            c.webhookInitialBackoffSeconds = 0.1
        }
        let http = server.client()
        let work = try TestServer.temporaryFolder("inputs")
        var body = try await FakeInputs.upload(http, in: work)
        let secret = "whsec_" + Data("a very secret webhook key!".utf8).base64EncodedString()
        body["webhook"] = ["url": "http://127.0.0.1:\(receiver.port)/hook", "secret": secret]
        let id = try await http.createJob(body)
        _ = try await server.waitForJob(id, client: http) { TestServer.isFinal($0) }

        // validating is the creation state; then queued, running, succeeded each notify.
        let deadline = Date().addingTimeInterval(15)
        while receiver.delivered.count < 3 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let delivered = receiver.delivered
        // Delivery order is not guaranteed (a failed attempt is retried later), the set is.
        XCTAssertEqual(delivered.map(\.type).sorted(), ["job.queued", "job.running", "job.succeeded"])
        let signer = WebhookSigner(secret: secret)
        for d in delivered {
            XCTAssertEqual(d.signature, signer.signature(id: d.id, timestamp: Int(d.timestamp) ?? 0, body: d.body))
            XCTAssertTrue(d.signature.hasPrefix("v1,"))
        }
        XCTAssertEqual(receiver.attempts, 4, "one failed attempt was retried")
        let rows = try await XCTUnwrap(server.service.components.pool).read { db in try WebhookDeliveryRecord.fetchAll(db) }
        XCTAssertEqual(rows.count, 4)
        XCTAssertEqual(rows.filter { !$0.succeeded }.count, 1)
        await server.stop()
        await receiver.stop()
    }
}
