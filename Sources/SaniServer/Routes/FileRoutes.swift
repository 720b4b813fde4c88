import HTTPTypes
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird

/// `/v1/files`: uploads (raw bytes or a tar of a folder), URL fetches, listing, deletion.
struct FileRoutes {
    let service: ServiceComponents

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("files") { request, context in try await upload(request, context) }
        group.put("files") { request, context in try await upload(request, context) }
        group.get("files") { request, context in try await list(request, context) }
        group.post("files/fetch") { request, context in try await fetch(request, context) }
        group.get("files/{fileId}") { _, context in try await show(context) }
        group.delete("files/{fileId}") { _, context in try await delete(context) }
    }

    private var layout: DataLayout { service.layout }

    private func upload(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let q = request.uri.queryParameters
        let name = FileName.sanitize(q["name"].map(String.init))
        let isTar = try Self.isTar(format: q["format"].map(String.init), contentType: request.headers[.contentType])
        let received = try await UploadReceiver(layout: layout, limit: service.configuration.maxUploadBytes,
                                                metrics: service.metrics).receive(request)
        let record = try await store(received.url, size: received.size, sha256: received.sha256, name: name, tar: isTar,
                                     source: isTar ? "tar" : "upload", tenant: context.tenant)
        return try JSONResponse.make(FileResource(record), status: .created,
                                     headers: [.location: "/v1/files/\(record.id)"])
    }

    static func isTar(format: String?, contentType: String?) throws -> Bool {
        switch format?.lowercased() {
        case "tar": return true
        case "raw": return false
        case nil:
            let type = contentType?.lowercased() ?? ""
            return type.hasPrefix("application/x-tar") || type.hasPrefix("application/tar")
        case let other?:
            throw APIError.badRequest("format must be raw or tar, got \"\(other)\"", code: "invalid_parameter")
        }
    }

    /// Moves a complete upload into `files/<id>/`: as is, or extracted when it is a tar.
    private func store(_ temp: URL, size: Int64, sha256: String, name: String, tar: Bool, source: String,
                       tenant: String) async throws -> FileRecord {
        let id = Identifier.make("file")
        let folder = layout.fileFolder(id)
        let fm = FileManager.default
        var path: URL
        var entries: Int?
        do {
            if tar {
                let staging = layout.uploads.appendingPathComponent("extract-\(UUID().uuidString)", isDirectory: true)
                defer { removeIfPresent(staging); removeIfPresent(temp) }
                let extractor = TarExtractor(maxEntries: service.configuration.maxTarEntries,
                                             maxTotalBytes: service.configuration.maxUploadBytes)
                do { entries = try extractor.extract(archive: temp, into: staging) } catch let e as TarError {
                    throw APIError.badRequest(e.description, code: "invalid_tar")
                }
                try fm.createDirectory(at: layout.files, withIntermediateDirectories: true)
                try fm.moveItem(at: staging, to: folder)
                let root = TarExtractor.effectiveRoot(folder)
                path = root
            } else {
                try fm.createDirectory(at: folder, withIntermediateDirectories: true)
                path = folder.appendingPathComponent(name)
                try fm.moveItem(at: temp, to: path)
            }
        } catch {
            removeIfPresent(temp)
            removeIfPresent(folder)
            if !(error is APIError), StorageFull.matches(error) {
                throw StorageFull.uploadError(tar ? "extracting the tar" : "storing the upload")
            }
            throw error
        }
        let record = FileRecord(seq: nil, id: id, tenant: tenant, name: name, kind: tar ? "folder" : "file", source: source,
                                size: size, sha256: sha256, path: layout.relative(path), entries: entries, createdAt: Date())
        do { return try await service.files.insert(record) } catch {
            removeIfPresent(folder)
            if StorageFull.matches(error) { throw StorageFull.uploadError("recording the upload") }
            throw error
        }
    }

    private func fetch(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard service.configuration.allowURLFetch else {
            throw APIError(.forbidden, "fetch_disabled", "fetching files from URLs is disabled (uploads.allowURLFetch)")
        }
        let data = try await StrictJSON.body(request, limit: service.configuration.maxJSONBodyBytes)
        let body = try StrictJSON.decode(FetchFileRequest.self, from: data, allowed: FetchFileRequest.keys)
        guard let url = URL(string: body.url), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host != nil else {
            throw APIError.badRequest("url must be an absolute http or https URL", code: "invalid_url")
        }
        let tar = try Self.isTar(format: body.format, contentType: nil)
        let name = FileName.sanitize(body.name ?? url.lastPathComponent)
        let received = try await URLFetcher(layout: layout, limit: service.configuration.maxUploadBytes,
                                            timeout: service.configuration.fetchTimeoutSeconds).fetch(url)
        let record = try await store(received.url, size: received.size, sha256: received.sha256, name: name, tar: tar,
                                     source: "url", tenant: context.tenant)
        return try JSONResponse.make(FileResource(record), status: .created, headers: [.location: "/v1/files/\(record.id)"])
    }

    private func list(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let query = try ListQuery(request)
        let rows = try await service.files.list(tenant: context.tenant, before: query.cursor, limit: query.limit + 1)
        let page = Array(rows.prefix(query.limit))
        let next = rows.count > query.limit ? page.last?.seq.map(String.init) : nil
        return try JSONResponse.make(Page(data: page.map(FileResource.init), nextCursor: next))
    }

    private func show(_ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("fileId")
        guard let file = try await service.files.file(id, tenant: context.tenant) else { throw APIError.notFound("file", id) }
        return try JSONResponse.make(FileResource(file))
    }

    private func delete(_ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("fileId")
        guard let file = try await service.files.file(id, tenant: context.tenant) else { throw APIError.notFound("file", id) }
        let users = try service.files.users(of: id, exceptJob: nil)
        if let first = users.first {
            throw APIError.conflict("file_in_use", "file \(id) is an input of job \(first); delete the job first")
        }
        try service.files.purge(file)
        return Response(status: .noContent)
    }
}

/// Safe stored names: the last path component, with characters outside [A-Za-z0-9._-] replaced.
enum FileName {
    static func sanitize(_ raw: String?) -> String {
        let last = (raw ?? "").split(separator: "/").last.map(String.init) ?? ""
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        var name = String(last.map { allowed.contains($0) ? $0 : "_" }.prefix(128))
        while name.hasPrefix(".") { name.removeFirst() }
        return name.isEmpty ? "upload" : name
    }
}
