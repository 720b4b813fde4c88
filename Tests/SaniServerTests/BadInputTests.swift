import Foundation
@testable import SaniServer
import XCTest

/// Every bad input gets a clear 4xx with a JSON error, and nothing half-done is stored.
final class BadInputTests: XCTestCase {
    func testBadJSONUnknownFieldsAndBadOptions() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work)

        let broken = try await http.send("POST", "/v1/jobs", body: Data("{\"model\": ".utf8))
        XCTAssertEqual(broken.status, 400)
        XCTAssertEqual(broken.errorCode, "invalid_json")
        let array = try await http.send("POST", "/v1/jobs", body: Data("[1]".utf8))
        XCTAssertEqual(array.status, 400)

        var unknown = body
        unknown["epochs"] = 3
        let r1 = try await http.json("POST", "/v1/jobs", unknown)
        XCTAssertEqual(r1.status, 400)
        XCTAssertEqual(r1.errorCode, "unknown_field")
        XCTAssertTrue(r1.text.contains("epochs"))

        var badOption = body
        badOption["options"] = ["epochz": 1]
        let r2 = try await http.json("POST", "/v1/jobs", badOption)
        XCTAssertEqual(r2.status, 400)
        XCTAssertEqual(r2.errorCode, "invalid_options")

        var outOfRange = body
        outOfRange["options"] = ["eraseFraction": 2.0]
        let r3 = try await http.json("POST", "/v1/jobs", outOfRange)
        XCTAssertEqual(r3.status, 400)
        XCTAssertTrue(r3.text.contains("eraseFraction"), r3.text)

        var badHook = body
        badHook["webhook"] = ["url": "http://127.0.0.1:1/x", "secret": "0123456789abcdef", "extra": true]
        let r4 = try await http.json("POST", "/v1/jobs", badHook)
        XCTAssertEqual(r4.errorCode, "unknown_field")

        let missingField = try await http.json("POST", "/v1/jobs", ["model": body["model"] ?? ""])
        XCTAssertEqual(missingField.status, 400)
        XCTAssertTrue(missingField.text.contains("corpus"), missingField.text)

        let badLimit = try await http.send("GET", "/v1/jobs?limit=0")
        XCTAssertEqual(badLimit.status, 400)
        let badStatus = try await http.send("GET", "/v1/jobs?status=done")
        XCTAssertEqual(badStatus.status, 400)
        let nowhere = try await http.send("GET", "/v1/nowhere")
        XCTAssertEqual(nowhere.status, 404)
        XCTAssertEqual(nowhere.errorCode, "not_found")

        let violations = recorder.violations(try OpenAPIDocument.load()).filter { !$0.contains("/v1/nowhere") }
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    func testAnotherMethodOnAKnownPathIs405WithAllow() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let http = server.client()
        let cases: [(String, String, String)] = [
            ("TRACE", "/healthz", "GET"), ("PATCH", "/v1/jobs", "GET, POST"), ("DELETE", "/v1/files", "GET, POST, PUT"),
            ("GET", "/v1/files/fetch", "POST"), ("PUT", "/v1/jobs/job_x/cancel", "POST"),
            ("POST", "/v1/jobs/job_x/artifacts/model.tar", "GET"), ("PATCH", "/v1/files/file_x", "DELETE, GET"),
        ]
        for (method, path, allowed) in cases {
            let r = try await http.send(method, path)
            XCTAssertEqual(r.status, 405, "\(method) \(path): \(r.text)")
            XCTAssertEqual(r.headers["allow"], allowed, "\(method) \(path)")
            XCTAssertEqual(r.errorCode, "method_not_allowed", "\(method) \(path)")
        }
        // A path no route has stays 404.
        let nowhere = try await http.send("PATCH", "/v1/nowhere/at/all")
        XCTAssertEqual(nowhere.status, 404)
        XCTAssertEqual(nowhere.errorCode, "not_found")
        await server.stop()
    }

    func testEmptyUploadAndNullFieldsAreRefused() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let http = server.client()
        for method in ["POST", "PUT"] {
            let empty = try await http.send(method, "/v1/files?name=empty.jsonl", body: Data(),
                                            headers: ["Content-Type": "application/octet-stream"])
            XCTAssertEqual(empty.status, 400, empty.text)
            XCTAssertEqual(empty.errorCode, "empty_upload")
        }
        let files = try await http.send("GET", "/v1/files")
        XCTAssertEqual((try files.object()["data"] as? [Any])?.count, 0)
        try await assertNoUploadLeft(server)

        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work)
        for (field, value) in [("webhook", NSNull()), ("terms", NSNull()), ("options", ["epochs": NSNull()] as [String: Any])] as [(String, Any)] {
            var request = body
            request[field] = value
            let r = try await http.json("POST", "/v1/jobs", request)
            XCTAssertEqual(r.status, 400, "\(field): \(r.text)")
            XCTAssertEqual(r.errorCode, "invalid_json", field)
            XCTAssertTrue(r.text.contains(field == "options" ? "options.epochs is null" : "\(field) is null"), r.text)
        }
        let jobs = try await http.send("GET", "/v1/jobs")
        XCTAssertEqual((try jobs.object()["data"] as? [Any])?.count, 0)
        await server.stop()
    }

    func testMissingOrWrongKindOfFiles() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let http = server.client()
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(http, in: work)
        let missing = try await http.json("POST", "/v1/jobs", ["model": "file_nope", "corpus": body["corpus"] ?? ""])
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(missing.errorCode, "unknown_file")
        XCTAssertTrue(missing.text.contains("file_nope"))
        // A model uploaded as a single file instead of a folder.
        let swapped = try await http.json("POST", "/v1/jobs", ["model": body["corpus"] ?? "", "corpus": body["corpus"] ?? ""])
        XCTAssertEqual(swapped.status, 400)
        XCTAssertEqual(swapped.errorCode, "invalid_model")
        XCTAssertTrue(swapped.text.contains("format=tar"), swapped.text)
        await server.stop()
    }

    func testOpenModeServesLocalRequestsButRefusesProxiedOnes() async throws {
        let server = try await TestServer.start(executor: FakeExecutor(), keys: false)
        let http = server.client(nil)
        let local = try await http.send("GET", "/v1/jobs")
        XCTAssertEqual(local.status, 200)
        for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
            let proxied = try await http.send("GET", "/v1/jobs", headers: [header: "203.0.113.9"])
            XCTAssertEqual(proxied.status, 403, header)
            XCTAssertEqual(proxied.errorCode, "keys_required")
        }
        await server.stop()
    }

    func testKeysAndTenantsAreEnforced() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let a = server.client(TestServer.keyA)
        let b = server.client(TestServer.keyB)
        let work = try TestServer.temporaryFolder("inputs")
        let body = try await FakeInputs.upload(a, in: work)
        let id = try await a.createJob(body)

        let anonymous = try await server.client(nil).send("GET", "/v1/jobs")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(anonymous.errorCode, "unauthorized")
        XCTAssertEqual(anonymous.headers["www-authenticate"], "Bearer realm=\"sani\"")
        let wrong = try await server.client("not-a-key-at-all-000000").send("GET", "/v1/jobs/\(id)")
        XCTAssertEqual(wrong.status, 401)

        for path in ["/v1/jobs/\(id)", "/v1/jobs/\(id)/events", "/v1/jobs/\(id)/audit", "/v1/jobs/\(id)/artifacts",
                     "/v1/files/\(body["model"] as? String ?? "")"] {
            let r = try await b.send("GET", path)
            XCTAssertEqual(r.status, 404, path)
        }
        let cancel = try await b.send("POST", "/v1/jobs/\(id)/cancel")
        XCTAssertEqual(cancel.status, 404)
        let delete = try await b.send("DELETE", "/v1/jobs/\(id)")
        XCTAssertEqual(delete.status, 404)
        let useOthersFiles = try await b.json("POST", "/v1/jobs", body)
        XCTAssertEqual(useOthersFiles.status, 400)
        XCTAssertEqual(useOthersFiles.errorCode, "unknown_file")
        let listB = try await b.send("GET", "/v1/jobs")
        XCTAssertEqual((try listB.object()["data"] as? [Any])?.count, 0)
        let dashboardB = try await b.send("GET", "/v1/dashboard")
        XCTAssertFalse(dashboardB.text.contains(id))
        // Health and metrics need no key.
        let health = try await server.client(nil).send("GET", "/healthz")
        XCTAssertEqual(health.status, 200)
        await server.stop()
    }

    func testOversizedUploadIsRefusedAndNothingIsStored() async throws {
        let server = try await TestServer.start(executor: FakeExecutor()) { $0.maxUploadBytes = 1 << 20 }
        let http = server.client()
        let big = Data(repeating: 42, count: (1 << 20) + 1)
        let announced = try await http.send("POST", "/v1/files?name=big.bin", body: big,
                                            headers: ["Content-Type": "application/octet-stream"])
        XCTAssertEqual(announced.status, 413)
        XCTAssertEqual(announced.errorCode, "too_large")

        // Chunked: the limit is crossed while streaming.
        let raw = try RawHTTP(port: server.running.port)
        raw.write("POST /v1/files?name=big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestServer.keyA)\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = Data(repeating: 1, count: 256 * 1024)
        for _ in 0..<6 {
            raw.write(String(chunk.count, radix: 16) + "\r\n")
            raw.write(chunk)
            raw.write("\r\n")
        }
        let answer = raw.read(until: "}}")
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 413"), answer)
        XCTAssertTrue(answer.lowercased().contains("connection: close"), answer)

        let files = try await http.send("GET", "/v1/files")
        XCTAssertEqual((try files.object()["data"] as? [Any])?.count, 0)
        try await assertNoUploadLeft(server)
        await server.stop()
    }

    /// A client that announces an oversized body and sends it anyway (no `Expect: 100-continue`) is answered 413
    /// while it is still sending. It must still read that answer: the server shuts its side for writing and throws
    /// the rest away for a bounded time instead of closing a socket with unread bytes, which resets the connection
    /// and loses the 413 in the client's kernel. A body far beyond the lingering bound is cut off, never drained.
    func testAClientStillSendingAnOversizedBodyReadsThe413() async throws {
        let server = try await TestServer.start(executor: FakeExecutor()) { $0.maxUploadBytes = 1 << 20 }
        for round in 0..<5 {
            let raw = try RawHTTP(port: server.running.port)
            let size = 6 << 20
            raw.write("PUT /v1/files?name=big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestServer.keyA)\r\nContent-Length: \(size)\r\n\r\n")
            let sent = raw.write(Data(repeating: 7, count: size))
            let answer = raw.read(until: "}}")
            // An HTTP client (curl, URLSession) gives up on the whole exchange when a send fails mid-body.
            XCTAssertEqual(sent, size, "round \(round): the connection was reset while the client was sending")
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 413"), "round \(round): \(answer.prefix(200)) after \(sent) bytes sent")
            XCTAssertTrue(answer.contains("too_large"), "round \(round)")
        }
        // Far beyond the lingering bound: the server stops reading and closes; the client may see its sends fail,
        // and the server keeps serving.
        let raw = try RawHTTP(port: server.running.port)
        raw.write("PUT /v1/files?name=huge.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestServer.keyA)\r\nContent-Length: \(64 << 20)\r\n\r\n")
        let sent = raw.write(Data(repeating: 7, count: 64 << 20))
        XCTAssertLessThan(sent, 64 << 20, "the server drained a body 64 times its limit")
        let files = try await server.client().send("GET", "/v1/files")
        XCTAssertEqual(files.status, 200)
        XCTAssertEqual((try files.object()["data"] as? [Any])?.count, 0)
        try await assertNoUploadLeft(server)
        await server.stop()
    }

    func testTruncatedUploadStoresNothing() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let raw = try RawHTTP(port: server.running.port)
        raw.write("PUT /v1/files?name=part.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestServer.keyA)\r\nContent-Length: 100000\r\n\r\n")
        raw.write(Data(repeating: 3, count: 30000))
        raw.shutdownWrite()
        _ = raw.read()
        let files = try await server.client().send("GET", "/v1/files")
        XCTAssertEqual((try files.object()["data"] as? [Any])?.count, 0)
        try await assertNoUploadLeft(server)
        await server.stop()
    }

    func testExpectContinueIsAnsweredBeforeTheBody() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let raw = try RawHTTP(port: server.running.port)
        let body = Data(repeating: 9, count: 2 << 20)
        raw.write("PUT /v1/files?name=x.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestServer.keyA)\r\nContent-Length: \(body.count)\r\nExpect: 100-continue\r\n\r\n")
        let interim = raw.read(until: "\r\n\r\n")
        XCTAssertTrue(interim.hasPrefix("HTTP/1.1 100 Continue"), interim)
        raw.write(body)
        let final = raw.read(until: "}")
        XCTAssertTrue(final.hasPrefix("HTTP/1.1 201"), final)
        await server.stop()
    }

    func testAWrongKeyGetsItsRefusalBeforeSendingTheBody() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let raw = try RawHTTP(port: server.running.port)
        raw.write("PUT /v1/files?name=x.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_wrong\r\nContent-Length: \(2 << 20)\r\nExpect: 100-continue\r\n\r\n")
        // No 100 Continue: the first thing the client reads is the 401, and it has sent nothing of its body.
        let first = raw.read(until: "\r\n\r\n")
        XCTAssertTrue(first.hasPrefix("HTTP/1.1 401"), first)
        await server.stop()
    }

    func testEvilTarEntriesAreRefused() async throws {
        let server = try await TestServer.start(executor: FakeExecutor())
        let http = server.client()
        let work = try TestServer.temporaryFolder("evil")
        let cases: [(String, UInt8, String)] = [
            ("../x", TarHeader.regular, "is not accepted"),
            ("model/../../x", TarHeader.regular, "is not accepted"),
            ("/etc/x", TarHeader.regular, "absolute"),
            ("model/link", UInt8(ascii: "2"), "symbolic links"),
            ("model/hard", UInt8(ascii: "1"), "hard links"),
            ("model/dev", UInt8(ascii: "3"), "device"),
        ]
        for (name, type, reason) in cases {
            let tar = work.appendingPathComponent("evil-\(UUID().uuidString).tar")
            var bytes = Data(try TarHeader(name: "model/config.json", size: 2, mode: 0o644, typeflag: TarHeader.regular, linkname: "").encoded())
            bytes.append(Data("{}".utf8)); bytes.append(Data(count: 510))
            let size: Int64 = type == TarHeader.regular ? 5 : 0
            bytes.append(Data(try TarHeader(name: name, size: size, mode: 0o644, typeflag: type, linkname: "/etc/passwd").encoded()))
            if size > 0 { bytes.append(Data("evil!".utf8)); bytes.append(Data(count: 507)) }
            bytes.append(Data(count: 1024))
            try bytes.write(to: tar)
            let r = try await http.send("POST", "/v1/files?name=model&format=tar", file: tar,
                                        headers: ["Content-Type": "application/octet-stream"])
            XCTAssertEqual(r.status, 400, name)
            XCTAssertEqual(r.errorCode, "invalid_tar", name)
            XCTAssertTrue(r.text.contains(reason), "\(name): \(r.text)")
        }
        let notTar = work.appendingPathComponent("plain.tar")
        try Data(repeating: 65, count: 2000).write(to: notTar)
        let r = try await http.send("POST", "/v1/files?name=m&format=tar", file: notTar, headers: ["Content-Type": "application/octet-stream"])
        XCTAssertEqual(r.errorCode, "invalid_tar")
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.data.appendingPathComponent("x").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.data.deletingLastPathComponent().appendingPathComponent("x").path))
        let files = try await http.send("GET", "/v1/files")
        XCTAssertEqual((try files.object()["data"] as? [Any])?.count, 0)
        let stored = try FileManager.default.contentsOfDirectory(atPath: server.data.appendingPathComponent("files").path)
        XCTAssertEqual(stored, [])
        try await assertNoUploadLeft(server)
        await server.stop()
    }

    private func assertNoUploadLeft(_ server: TestServer, file: StaticString = #filePath, line: UInt = #line) async throws {
        let uploads = server.data.appendingPathComponent("uploads").path
        for _ in 0..<50 {
            if (try FileManager.default.contentsOfDirectory(atPath: uploads)).isEmpty { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("temporary uploads left: \(try FileManager.default.contentsOfDirectory(atPath: uploads))", file: file, line: line)
    }
}
