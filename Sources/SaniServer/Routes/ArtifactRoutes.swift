import HTTPTypes
import Foundation
import Hummingbird

/// `/v1/jobs/{jobId}/artifacts`: the sanitized model's files and `model.tar`, with ranges, ETags and digests.
struct ArtifactRoutes {
    let service: ServiceComponents
    let jobRoutes: JobRoutes

    func register(on group: RouterGroup<APIRequestContext>) {
        group.get("jobs/{jobId}/artifacts") { _, context in try await list(context) }
        group.get("jobs/{jobId}/artifacts/{name}") { request, context in try await download(request, context) }
    }

    private func list(_ context: APIRequestContext) async throws -> Response {
        let job = try await jobRoutes.job(context)
        let rows = try await service.jobs.artifacts(job.id)
        let items = rows.map {
            ArtifactResource(name: $0.name, size: $0.size, sha256: $0.sha256, url: "/v1/jobs/\(job.id)/artifacts/\($0.name)")
        }
        return try JSONResponse.make(Page(data: items, nextCursor: nil))
    }

    private func download(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let job = try await jobRoutes.job(context)
        let name = try context.parameters.require("name")
        guard let artifact = try await service.jobs.artifacts(job.id).first(where: { $0.name == name }) else {
            throw APIError(.notFound, "not_found", "job \(job.id) has no artifact named \(name)")
        }
        let etag = "\"\(artifact.sha256)\""
        let digest = FileDigest.base64(fromHex: artifact.sha256)
        var headers: HTTPFields = [
            .eTag: etag,
            .acceptRanges: "bytes",
            .contentType: Self.contentType(name),
            .contentDisposition: "attachment; filename=\"\(name)\"",
            HTTPField.Name("Repr-Digest")!: "sha-256=:\(digest):",
            HTTPField.Name("Digest")!: "SHA-256=\(digest)",
        ]
        if let match = request.headers[.ifNoneMatch],
           match == "*" || match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
            return Response(status: .notModified, headers: headers)
        }
        let path = service.layout.resolve(artifact.path).path
        let size = artifact.size
        var range: ClosedRange<Int64>?
        if let header = request.headers[.range] {
            let ifRange = request.headers[.ifRange]
            if ifRange == nil || ifRange == etag {
                switch ByteRange.parse(header, size: size) {
                case .whole: break
                case .range(let r): range = r
                case .unsatisfiable:
                    headers[.contentRange] = "bytes */\(size)"
                    throw { var e = APIError(.rangeNotSatisfiable, "range_not_satisfiable",
                                             "the range \(header) is outside the \(size) bytes of \(name)"); e.headers = headers; return e }()
                }
            }
        }
        let fileIO = FileIO()
        if let range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            let body = try await fileIO.loadFile(path: path, range: Int(range.lowerBound)...Int(range.upperBound), context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
        headers[.contentLength] = String(size)
        let body = try await fileIO.loadFile(path: path, context: context)
        return Response(status: .ok, headers: headers, body: body)
    }

    static func contentType(_ name: String) -> String {
        if name.hasSuffix(".tar") { return "application/x-tar" }
        if name.hasSuffix(".json") { return "application/json" }
        if name.hasSuffix(".txt") { return "text/plain; charset=utf-8" }
        return "application/octet-stream"
    }
}

/// A single byte range of a `Range: bytes=...` header (several ranges are answered with the whole file).
enum ByteRange: Equatable {
    case whole
    case range(ClosedRange<Int64>)
    case unsatisfiable

    static func parse(_ header: String, size: Int64) -> ByteRange {
        let h = header.trimmingCharacters(in: .whitespaces)
        guard h.lowercased().hasPrefix("bytes="), !h.contains(",") else { return .whole }
        let spec = h.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return .whole }
        if parts[0].isEmpty {
            guard let n = Int64(parts[1]), n > 0 else { return .unsatisfiable }
            guard size > 0 else { return .unsatisfiable }
            return .range(max(0, size - n)...(size - 1))
        }
        guard let start = Int64(parts[0]), start >= 0 else { return .whole }
        guard start < size else { return .unsatisfiable }
        if parts[1].isEmpty { return .range(start...(size - 1)) }
        guard let end = Int64(parts[1]), end >= start else { return .whole }
        return .range(start...min(end, size - 1))
    }
}
