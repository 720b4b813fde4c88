import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// One HTTP exchange as the tests see it.
struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var body: Data

    func object(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            XCTFail("not a JSON object: \(String(decoding: body, as: UTF8.self))", file: file, line: line)
            return [:]
        }
        return o
    }

    var errorCode: String? {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["code"] as? String }
    }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A URLSession client of the test server that records every exchange for the conformance check.
struct TestHTTP: Sendable {
    let base: URL
    let token: String?
    let recorder: ConformanceRecorder?

    static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = 120
        return URLSession(configuration: c)
    }()

    func send(_ method: String, _ path: String, body: Data? = nil, file: URL? = nil,
              headers: [String: String] = [:]) async throws -> HTTPResult {
        guard let url = URL(string: base.absoluteString + path) else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if body != nil && headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let (data, response): (Data, URLResponse?) = try await withCheckedThrowingContinuation { c in
            let handler: @Sendable (Data?, URLResponse?, (any Error)?) -> Void = { data, response, error in
                if let error { c.resume(throwing: error) } else { c.resume(returning: (data ?? Data(), response)) }
            }
            if let file { Self.session.uploadTask(with: request, fromFile: file, completionHandler: handler).resume() }
            else if let body { Self.session.uploadTask(with: request, from: body, completionHandler: handler).resume() }
            else { Self.session.dataTask(with: request, completionHandler: handler).resume() }
        }
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
        let result = HTTPResult(status: http.statusCode, headers: fields, body: data)
        recorder?.record(method: method, path: path, result: result)
        return result
    }

    func json(_ method: String, _ path: String, _ object: Any, headers: [String: String] = [:]) async throws -> HTTPResult {
        try await send(method, path, body: try JSONSerialization.data(withJSONObject: object), headers: headers)
    }

    /// Creates a job and returns its id.
    func createJob(_ body: [String: Any]) async throws -> String {
        let r = try await json("POST", "/v1/jobs", body)
        guard r.status == 201, let id = try r.object()["id"] as? String else {
            XCTFail("job creation failed: \(r.status) \(r.text)")
            throw URLError(.badServerResponse)
        }
        return id
    }

    /// Uploads a file (raw) or a tar (`tar: true`) and returns the file id.
    func upload(_ file: URL, name: String, tar: Bool = false) async throws -> String {
        let r = try await send("POST", "/v1/files?name=\(name)\(tar ? "&format=tar" : "")", file: file,
                               headers: ["Content-Type": "application/octet-stream"])
        guard r.status == 201, let id = try r.object()["id"] as? String else {
            XCTFail("upload of \(name) failed: \(r.status) \(r.text)")
            throw URLError(.cannotCreateFile)
        }
        return id
    }
}
