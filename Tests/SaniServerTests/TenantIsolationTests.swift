import Foundation
import XCTest

/// A tenant never reaches another tenant's objects: tenant B, holding tenant A's file, job (with its webhook) and
/// artifact ids, gets the same 404 as for ids that never existed, on every operation of openapi.yaml that takes an
/// id (read from the document, so a new route is probed as soon as it is declared), and A's objects are unchanged.
final class TenantIsolationTests: XCTestCase {
    /// How to fill each path parameter of openapi.yaml with one of A's objects, and with an id nobody has.
    struct Probe { var owned: String; var unknown: String }

    func testAnotherTenantsIdsAnswer404OnEveryRoute() async throws {
        let receiver = try await WebhookReceiver.start(failFirst: 0)
        let server = try await TestServer.start(executor: FakeExecutor(steps: 3))
        let a = server.client(TestServer.keyA)
        let b = server.client(TestServer.keyB)
        let work = try TestServer.temporaryFolder("isolation")

        // Tenant A: a model folder, a corpus, a job with a webhook that succeeds and has artifacts.
        var body = try await FakeInputs.upload(a, in: work)
        body["webhook"] = ["url": "http://127.0.0.1:\(receiver.port)/hook", "secret": "isolation-secret-0123456789"]
        let job = try await a.createJob(body)
        let done = try await server.waitForJob(job, client: a) { TestServer.isFinal($0) }
        XCTAssertEqual(done["status"] as? String, "succeeded")
        let artifacts = try await a.send("GET", "/v1/jobs/\(job)/artifacts")
        let names = (try artifacts.object()["data"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        let artifact = try XCTUnwrap(names.first { $0 == "model.tar" } ?? names.first, "the job has no artifact")
        // The webhook delivered its notification before the snapshot, so nothing of A's moves during the probes.
        let deadline = Date().addingTimeInterval(30)
        while !receiver.delivered.contains(where: { $0.type == "job.succeeded" }) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertTrue(receiver.delivered.contains { $0.type == "job.succeeded" }, "A's webhook was not delivered")
        let model = try XCTUnwrap(body["model"] as? String)
        let corpus = try XCTUnwrap(body["corpus"] as? String)
        // B has objects of its own, so that a route that ignored the tenant could find something to answer with.
        let bodyB = try await FakeInputs.upload(b, in: work)
        _ = try await b.createJob(bodyB)

        let probes: [String: Probe] = [
            "fileId": Probe(owned: model, unknown: "file_00000000000000000000"),
            "jobId": Probe(owned: job, unknown: "job_00000000000000000000"),
            "name": Probe(owned: artifact, unknown: "model.tar"),
        ]
        let before = try await snapshot(a, job: job, files: [model, corpus], artifact: artifact)

        let document = try OpenAPIDocument.load()
        var probed: [String] = []
        for (template, item) in document.paths.sorted(by: { $0.key < $1.key }) where template.contains("{") {
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let parameters = template.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
                for parameter in parameters where probes[parameter] == nil {
                    XCTFail("\(method.uppercased()) \(template): no probe value for {\(parameter)}; add one of tenant A's objects to `probes`")
                }
                guard parameters.allSatisfy({ probes[$0] != nil }) else { continue }
                let owned = fill(template, probes.mapValues(\.owned))
                let unknown = fill(template, probes.mapValues(\.unknown))
                let (payload, headers) = requestBody(of: operation, document: document)
                let label = "\(method.uppercased()) \(owned) as tenant B"

                let r = try await b.send(method.uppercased(), owned, body: payload, headers: headers)
                XCTAssertEqual(r.status, 404, "\(label): \(r.status) \(r.text)")
                XCTAssertTrue(r.headers["content-type"]?.hasPrefix("application/json") ?? false, "\(label): \(r.headers)")
                let error = try XCTUnwrap((try? r.object())?["error"] as? [String: Any], "\(label): no JSON error body: \(r.text)")
                XCTAssertEqual(error["code"] as? String, "not_found", label)
                XCTAssertFalse((error["message"] as? String ?? "").isEmpty, label)
                // The answer tells nothing an id that never existed would not: same status, code and message.
                let control = try await b.send(method.uppercased(), unknown, body: payload, headers: headers)
                XCTAssertEqual(control.status, r.status, label)
                XCTAssertEqual(control.errorCode, r.errorCode, label)
                XCTAssertEqual(normalized(control.text, probes.mapValues(\.unknown)), normalized(r.text, probes.mapValues(\.owned)),
                               "\(label): the answer differs from the one for an unknown id")
                probed.append("\(method.uppercased()) \(template)")
            }
        }
        // Every operation with an id in its path was probed (the document has at least the ones known today).
        for known in ["GET /v1/files/{fileId}", "DELETE /v1/files/{fileId}", "GET /v1/jobs/{jobId}", "DELETE /v1/jobs/{jobId}",
                      "POST /v1/jobs/{jobId}/cancel", "GET /v1/jobs/{jobId}/events", "GET /v1/jobs/{jobId}/audit",
                      "GET /v1/jobs/{jobId}/artifacts", "GET /v1/jobs/{jobId}/artifacts/{name}",
                      "GET /v1/dashboard/jobs/{jobId}"] {
            XCTAssertTrue(probed.contains(known), "\(known) was not probed")
        }

        // Ids in request bodies: B cannot build a job on A's files, and is told exactly what it is told for unknown ids.
        for field in ["model", "corpus", "terms", "heldOut", "calibration", "base"] {
            var request = bodyB
            request[field] = ["corpus", "terms", "heldOut", "calibration"].contains(field) ? corpus : model
            let r = try await b.json("POST", "/v1/jobs", request)
            XCTAssertEqual(r.status, 400, "\(field): \(r.text)")
            XCTAssertEqual(r.errorCode, "unknown_file", "\(field): \(r.text)")
        }
        // Lists and the dashboard show B nothing of A's.
        for path in ["/v1/files?limit=200", "/v1/jobs?limit=200", "/v1/dashboard"] {
            let r = try await b.send("GET", path)
            XCTAssertEqual(r.status, 200, path)
            for id in [model, corpus, job] { XCTAssertFalse(r.text.contains(id), "\(path) shows tenant B \(id)") }
        }

        // A's objects are exactly as they were: same job, files, events, audit and artifact bytes.
        let after = try await snapshot(a, job: job, files: [model, corpus], artifact: artifact)
        XCTAssertEqual(after.count, before.count)
        for (key, value) in before { XCTAssertEqual(after[key], value, "\(key) changed after tenant B's requests") }
        // A's webhook still points at A's receiver, which heard of A's job only.
        let jobJSON = try await a.send("GET", "/v1/jobs/\(job)").object()
        XCTAssertEqual((jobJSON["webhook"] as? [String: Any])?["url"] as? String, "http://127.0.0.1:\(receiver.port)/hook")
        for delivery in receiver.delivered {
            let data = (try? JSONSerialization.jsonObject(with: delivery.body) as? [String: Any])?["data"] as? [String: Any]
            XCTAssertEqual(data?["id"] as? String, job, "the webhook receiver got a notification about another job")
        }

        await server.stop()
        await receiver.stop()
    }

    /// What tenant A reads of its objects, each as canonical bytes.
    private func snapshot(_ a: TestHTTP, job: String, files: [String], artifact: String) async throws -> [String: Data] {
        var out: [String: Data] = [:]
        var paths = ["/v1/jobs/\(job)", "/v1/jobs/\(job)/events?limit=1000", "/v1/jobs/\(job)/audit",
                     "/v1/jobs/\(job)/artifacts", "/v1/jobs/\(job)/artifacts/\(artifact)"]
        paths += files.map { "/v1/files/\($0)" }
        for path in paths {
            let r = try await a.send("GET", path)
            XCTAssertEqual(r.status, 200, "tenant A: GET \(path): \(r.status) \(r.text)")
            out[path] = r.body
        }
        return out
    }

    private func fill(_ template: String, _ values: [String: String]) -> String {
        var path = template
        for (name, value) in values {
            path = path.replacingOccurrences(of: "{\(name)}", with: value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? value)
        }
        return path
    }

    /// The message with the probed ids replaced, to compare answers about A's ids and about unknown ones.
    private func normalized(_ text: String, _ values: [String: String]) -> String {
        var out = text
        for value in values.values.sorted(by: { $0.count > $1.count }) { out = out.replacingOccurrences(of: value, with: "<id>") }
        return out
    }

    /// A well-formed request body for an operation that declares one (an empty JSON object, or a few bytes).
    private func requestBody(of operation: [String: Any], document: OpenAPIDocument) -> (Data?, [String: String]) {
        guard let request = operation["requestBody"] as? [String: Any] else { return (nil, [:]) }
        let resolved = (request["$ref"] as? String).flatMap(document.resolve) ?? request
        let content = resolved["content"] as? [String: Any] ?? [:]
        if content["application/json"] != nil { return (Data("{}".utf8), ["Content-Type": "application/json"]) }
        return (Data("isolation probe".utf8), ["Content-Type": content.keys.sorted().first ?? "application/octet-stream"])
    }
}
