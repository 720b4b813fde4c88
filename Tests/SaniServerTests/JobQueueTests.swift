import Foundation
import Sani
@testable import SaniServer
import XCTest

/// The queue, cancellation, failures, idempotency, dashboard and metrics, with the fake executor.
final class JobQueueTests: XCTestCase {
    func testJobRunsToSuccessAndEverythingIsVisible() async throws {
        let server = try await TestServer.start(executor: FakeExecutor(steps: 8))
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work)
        let created = try await http.json("POST", "/v1/jobs", body)
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(try created.object()["status"] as? String, "validating")
        let id = try XCTUnwrap(try created.object()["id"] as? String)
        XCTAssertEqual(created.headers["location"], "/v1/jobs/\(id)")

        let job = try await server.waitForJob(id, client: http) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "succeeded")
        let audit = try XCTUnwrap(job["audit"] as? [String: Any])
        XCTAssertEqual(audit["tokenRegurgitationAfter"] as? Double, 0.05)

        // Events: status changes and progress, paged with a cursor.
        let first = try await http.send("GET", "/v1/jobs/\(id)/events?limit=2")
        let page = try first.object()
        XCTAssertEqual((page["data"] as? [Any])?.count, 2)
        let cursor = try XCTUnwrap(page["nextCursor"] as? String)
        let rest = try await http.send("GET", "/v1/jobs/\(id)/events?cursor=\(cursor)&limit=1000")
        let events = (page["data"] as? [[String: Any]] ?? []) + (try XCTUnwrap(try rest.object()["data"] as? [[String: Any]]))
        let statuses = events.filter { $0["type"] as? String == "status" }.compactMap { $0["status"] as? String }
        XCTAssertEqual(statuses, ["validating", "queued", "running", "succeeded"])
        XCTAssertTrue(events.contains { $0["type"] as? String == "progress" })

        // Artifacts: each file and model.tar.
        let artifacts = try await http.send("GET", "/v1/jobs/\(id)/artifacts")
        let names = (try artifacts.object()["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        XCTAssertEqual(names, ["config.json", "model.safetensors", "model.tar", "sanitization-report.json"])
        let audited = try await http.send("GET", "/v1/jobs/\(id)/audit")
        XCTAssertEqual(audited.status, 200)
        XCTAssertEqual(try audited.object()["fake"] as? Bool, true)

        // Listing with status filter, dashboard, metrics.
        let listed = try await http.send("GET", "/v1/jobs?status=succeeded")
        XCTAssertEqual((try listed.object()["data"] as? [Any])?.count, 1)
        let none = try await http.send("GET", "/v1/jobs?status=running")
        XCTAssertEqual((try none.object()["data"] as? [Any])?.count, 0)
        let dashboard = try await http.send("GET", "/v1/dashboard")
        XCTAssertTrue(dashboard.headers["content-type"]?.hasPrefix("text/plain") ?? false)
        XCTAssertTrue(dashboard.text.contains(id), dashboard.text)
        XCTAssertTrue(dashboard.text.contains("50.0% → 5.0%"), dashboard.text)
        XCTAssertTrue(dashboard.text.contains("[####################] 100%"), dashboard.text)
        let html = try await http.send("GET", "/v1/dashboard", headers: ["Accept": "text/html"])
        XCTAssertTrue(html.headers["content-type"]?.hasPrefix("text/html") ?? false)
        XCTAssertTrue(html.text.contains("<table id=\"jobs\">") && html.text.contains(id))
        let metrics = try await http.send("GET", "/metrics")
        XCTAssertTrue(metrics.text.contains("sani_jobs{status=\"succeeded\"} 1"), metrics.text)
        XCTAssertTrue(metrics.text.contains("sani_http_request_duration_seconds_bucket"), metrics.text)
        XCTAssertTrue(metrics.text.contains("sani_queue_depth 0"), metrics.text)
        let health = try await http.send("GET", "/healthz")
        XCTAssertEqual(health.status, 200)
        let ready = try await http.send("GET", "/readyz")
        XCTAssertEqual(ready.status, 200)

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testCancellingARunningJobStopsItAndDeleteThenPurges() async throws {
        let executor = FakeExecutor(mode: .blockUntilCancelled, stepDelay: 0.005)
        let server = try await TestServer.start(executor: executor)
        let http = server.client()
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work)
        let id = try await http.createJob(body)
        _ = try await server.waitForJob(id, client: http) { ($0["progress"] as? [String: Any])?["step"] as? Int ?? 0 > 3 }

        let early = try await http.send("DELETE", "/v1/jobs/\(id)")
        XCTAssertEqual(early.status, 409)
        XCTAssertEqual(early.errorCode, "job_active")

        let cancel = try await http.send("POST", "/v1/jobs/\(id)/cancel")
        XCTAssertEqual(cancel.status, 202)
        let job = try await server.waitForJob(id, client: http, timeout: 10) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "cancelled")
        let again = try await http.send("POST", "/v1/jobs/\(id)/cancel")
        XCTAssertEqual(again.status, 409)

        let modelPath = server.data.appendingPathComponent("files/\(body["model"] as? String ?? "")").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: modelPath))
        let deleted = try await http.send("DELETE", "/v1/jobs/\(id)")
        XCTAssertEqual(deleted.status, 204)
        let gone = try await http.send("GET", "/v1/jobs/\(id)")
        XCTAssertEqual(gone.status, 404)
        XCTAssertFalse(FileManager.default.fileExists(atPath: modelPath))
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.data.appendingPathComponent("jobs/\(id)").path))
        let files = try await http.send("GET", "/v1/files")
        XCTAssertEqual((try files.object()["data"] as? [Any])?.count, 0)
        await server.stop()
    }

    func testValidationFailureGivesAnActionableReason() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let http = server.client()
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work, corpusText: "{\"txt\": \"INVALID\"}\n")
        let id = try await http.createJob(body)
        let job = try await server.waitForJob(id, client: http) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "failed")
        let error = try XCTUnwrap(job["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? String, "invalid_corpus")
        XCTAssertEqual(error["message"] as? String, "invalid corpus at line 1: the record has no \"text\" field")
        await server.stop()
    }

    func testFailureDuringTheRunIsReported() async throws {
        let server = try await TestServer.start(executor: FakeExecutor(mode: .fail(.model("tensor h.0.attn.c_attn.weight has shape [4] but config.json implies [32, 96]"))))
        let http = server.client()
        let work = try TestServer.temporaryFolder("inputs")
        let id = try await http.createJob(try await FakeInputs.upload(http, in: work))
        let job = try await server.waitForJob(id, client: http) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "failed")
        XCTAssertEqual((job["error"] as? [String: Any])?["code"] as? String, "invalid_model")
        XCTAssertTrue(((job["error"] as? [String: Any])?["message"] as? String ?? "").contains("c_attn"))
        let audit = try await http.send("GET", "/v1/jobs/\(id)/audit")
        XCTAssertEqual(audit.status, 404)
        XCTAssertEqual(audit.errorCode, "audit_not_ready")
        await server.stop()
    }

    func testIdempotencyKeyReturnsTheSameJob() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let http = server.client()
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work)
        let first = try await http.json("POST", "/v1/jobs", body, headers: ["Idempotency-Key": "nightly-2026-11-29"])
        let second = try await http.json("POST", "/v1/jobs", body, headers: ["Idempotency-Key": "nightly-2026-11-29"])
        XCTAssertEqual(first.status, 201)
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(try first.object()["id"] as? String, try second.object()["id"] as? String)
        var other = body
        other["options"] = ["epochs": 1]
        let conflicting = try await http.json("POST", "/v1/jobs", other, headers: ["Idempotency-Key": "nightly-2026-11-29"])
        XCTAssertEqual(conflicting.status, 422)
        XCTAssertEqual(conflicting.errorCode, "idempotency_key_reused")
        // The same key for another tenant is another key.
        let b = server.client(TestServer.keyB)
        let bodyB = try await FakeInputs.upload(b, in: work)
        let forB = try await b.json("POST", "/v1/jobs", bodyB, headers: ["Idempotency-Key": "nightly-2026-11-29"])
        XCTAssertEqual(forB.status, 201)
        let list = try await http.send("GET", "/v1/jobs")
        XCTAssertEqual((try list.object()["data"] as? [Any])?.count, 1)
        await server.stop()
    }

    func testListPaginationWithCursor() async throws {
        let server = try await TestServer.start(executor: FakeExecutor(steps: 1))
        let http = server.client()
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work)
        var ids: [String] = []
        for _ in 0..<5 { ids.append(try await http.createJob(body)) }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let r = try await http.send("GET", "/v1/jobs?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
            let page = try r.object()
            seen += (page["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            cursor = page["nextCursor"] as? String
        } while cursor != nil
        XCTAssertEqual(seen, ids.reversed())
        await server.stop()
    }
}
