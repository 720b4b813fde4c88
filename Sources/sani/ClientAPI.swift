import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SaniServer

/// A small client of the sani HTTP API over URLSession.
struct SaniClient: Sendable {
    let base: URL
    let token: String?

    struct File: Decodable { var id: String; var name: String; var size: Int64; var sha256: String; var kind: String }
    struct Artifact: Decodable { var name: String; var size: Int64; var sha256: String; var url: String }
    struct Page<T: Decodable>: Decodable { var data: [T]; var nextCursor: String? }
    struct Job: Decodable {
        struct Progress: Decodable {
            var phase: String?; var epoch: Int?; var epochs: Int?; var step: Int?; var steps: Int?
            var fraction: Double; var loss: Double?; var etaSeconds: Double?; var message: String?
        }
        struct Failure: Decodable { var code: String; var message: String }
        struct Audit: Decodable {
            var tokenRegurgitationBefore: Double?; var tokenRegurgitationAfter: Double?
            var spanExtractionBefore: Double?; var spanExtractionAfter: Double?
        }
        var id: String; var status: String; var createdAt: String
        var progress: Progress?; var error: Failure?; var audit: Audit?
        var isFinal: Bool { ["succeeded", "failed", "cancelled"].contains(status) }
    }

    private func request(_ path: String, method: String = "GET", query: [URLQueryItem] = [], headers: [String: String] = [:]) -> URLRequest {
        var components = URLComponents(url: base.appendingPathComponent(path), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query }
        var r = URLRequest(url: components?.url ?? base.appendingPathComponent(path))
        r.httpMethod = method
        r.timeoutInterval = 3600
        if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        return r
    }

    private static func check(_ data: Data, _ response: URLResponse?) throws {
        guard let http = response as? HTTPURLResponse else { throw ClientError(description: "no HTTP response") }
        guard (200..<300).contains(http.statusCode) else {
            struct Envelope: Decodable { struct E: Decodable { var code: String; var message: String }; var error: E }
            if let e = try? JSONDecoder().decode(Envelope.self, from: data) {
                throw ClientError(description: "\(http.statusCode) \(e.error.code): \(e.error.message)")
            }
            throw ClientError(description: "HTTP \(http.statusCode)")
        }
    }

    private func send(_ r: URLRequest, body: Data? = nil) async throws -> Data {
        let (data, response) = try await withCheckedThrowingContinuation { (c: CheckedContinuation<(Data, URLResponse?), any Error>) in
            let handler: @Sendable (Data?, URLResponse?, (any Error)?) -> Void = { data, response, error in
                if let error { c.resume(throwing: ClientError(description: "\(base.absoluteString): \(error.localizedDescription)")) }
                else { c.resume(returning: (data ?? Data(), response)) }
            }
            if let body { URLSession.shared.uploadTask(with: r, from: body, completionHandler: handler).resume() }
            else { URLSession.shared.dataTask(with: r, completionHandler: handler).resume() }
        }
        try Self.check(data, response)
        return data
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw ClientError(description: "unexpected answer from the server: \(error)")
        }
    }

    /// Uploads a file as is, or a folder as a tar (packed into a temporary file first).
    func upload(_ local: URL) async throws -> File {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: local.path, isDirectory: &isDir) else {
            throw ClientError(description: "\(local.path) does not exist")
        }
        var source = local
        var query = [URLQueryItem(name: "name", value: local.lastPathComponent)]
        var temporary: URL?
        if isDir.boolValue {
            let tar = FileManager.default.temporaryDirectory.appendingPathComponent("sani-\(UUID().uuidString).tar")
            try TarWriter().write(folder: local, to: tar)
            source = tar
            temporary = tar
            query.append(URLQueryItem(name: "format", value: "tar"))
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let r = request("v1/files", method: "POST", query: query, headers: ["Content-Type": "application/octet-stream"])
        let (data, response) = try await withCheckedThrowingContinuation { (c: CheckedContinuation<(Data, URLResponse?), any Error>) in
            URLSession.shared.uploadTask(with: r, fromFile: source) { data, response, error in
                if let error { c.resume(throwing: ClientError(description: "upload of \(local.path): \(error.localizedDescription)")) }
                else { c.resume(returning: (data ?? Data(), response)) }
            }.resume()
        }
        try Self.check(data, response)
        return try decode(File.self, data)
    }

    func createJob(model: String, corpus: String, terms: String?, heldOut: String? = nil, base: String? = nil,
                   calibration: String? = nil, options: Data?, idempotencyKey: String?) async throws -> Job {
        var body: [String: Any] = ["model": model, "corpus": corpus]
        if let terms { body["terms"] = terms }
        if let heldOut { body["heldOut"] = heldOut }
        if let base { body["base"] = base }
        if let calibration { body["calibration"] = calibration }
        if let options {
            guard let object = try? JSONSerialization.jsonObject(with: options) else {
                throw ClientError(description: "--options must be a JSON object")
            }
            body["options"] = object
        }
        var headers = ["Content-Type": "application/json"]
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        let data = try await send(request("v1/jobs", method: "POST", headers: headers),
                                  body: try JSONSerialization.data(withJSONObject: body))
        return try decode(Job.self, data)
    }

    func job(_ id: String) async throws -> Job { try decode(Job.self, try await send(request("v1/jobs/\(id)"))) }

    func jobs(status: String?, limit: Int) async throws -> [Job] {
        var query = [URLQueryItem(name: "limit", value: String(limit))]
        if let status { query.append(URLQueryItem(name: "status", value: status)) }
        return try decode(Page<Job>.self, try await send(request("v1/jobs", query: query))).data
    }

    func cancel(_ id: String) async throws -> Job {
        try decode(Job.self, try await send(request("v1/jobs/\(id)/cancel", method: "POST"), body: Data()))
    }

    func delete(_ id: String) async throws { _ = try await send(request("v1/jobs/\(id)", method: "DELETE")) }

    func artifacts(_ id: String) async throws -> [Artifact] {
        try decode(Page<Artifact>.self, try await send(request("v1/jobs/\(id)/artifacts"))).data
    }

    /// Downloads an artifact to `destination` and checks its SHA-256 against the expected one.
    func download(job: String, artifact: Artifact, to destination: URL) async throws {
        let r = request("v1/jobs/\(job)/artifacts/\(artifact.name)")
        let (file, response) = try await withCheckedThrowingContinuation { (c: CheckedContinuation<(URL, URLResponse?), any Error>) in
            URLSession.shared.downloadTask(with: r) { url, response, error in
                if let error { c.resume(throwing: ClientError(description: "download: \(error.localizedDescription)")); return }
                guard let url else { c.resume(throwing: ClientError(description: "download: no file")); return }
                let kept = FileManager.default.temporaryDirectory.appendingPathComponent("sani-dl-\(UUID().uuidString)")
                do { try FileManager.default.moveItem(at: url, to: kept); c.resume(returning: (kept, response)) } catch {
                    c.resume(throwing: error)
                }
            }.resume()
        }
        do {
            if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                try Self.check((try? Data(contentsOf: file)) ?? Data(), response)
            }
            let digest = try FileDigest.sha256(of: file)
            guard digest.hex == artifact.sha256 else {
                throw ClientError(description: "checksum mismatch for \(artifact.name): expected \(artifact.sha256), got \(digest.hex)")
            }
            try? FileManager.default.removeItem(at: destination)
            try FileManager.default.moveItem(at: file, to: destination)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
    }
}
