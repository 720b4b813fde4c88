import HTTPTypes
import Crypto
import Foundation
import Hummingbird

/// Streams a request body to a temporary file under `uploads/`, counting bytes against the limit and hashing
/// with SHA-256 as the bytes arrive. The temporary file is deleted on any failure; the caller moves it into place
/// only once it is complete.
struct UploadReceiver {
    let layout: DataLayout
    let limit: Int64
    let metrics: ServerMetrics

    struct Received {
        var url: URL
        var size: Int64
        var sha256: String
    }

    func receive(_ request: Request) async throws -> Received {
        let announced = request.headers[.contentLength].flatMap { Int64($0) }
        if let announced, announced > limit { throw APIError.tooLarge(limit: limit) }
        let target = layout.newUploadPath()
        guard FileManager.default.createFile(atPath: target.path, contents: nil) else {
            throw APIError(.internalServerError, "storage_error", "cannot create an upload file under \(layout.uploads.path)")
        }
        var complete = false
        defer { if !complete { removeIfPresent(target) } }
        let handle = try FileHandle(forWritingTo: target)
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            for try await buffer in request.body {
                size += Int64(buffer.readableBytes)
                if size > limit { throw APIError.tooLarge(limit: limit) }
                let chunk = buffer.withUnsafeReadableBytes { raw in
                    hasher.update(bufferPointer: raw)
                    return Data(raw)
                }
                do { try handle.write(contentsOf: chunk) } catch {
                    // A full disk or an I/O error: the upload fails, the partial file is removed, the server lives.
                    if StorageFull.matches(error) { throw StorageFull.uploadError("receiving the upload") }
                    throw APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "storage_error",
                                   "the upload could not be stored (\(error.localizedDescription)); nothing was stored")
                }
                metrics.uploadedBytes.increment(by: Int64(buffer.readableBytes))
            }
        } catch let e as APIError {
            throw e
        } catch {
            throw APIError.badRequest("the upload was interrupted after \(size) bytes (\(error)); nothing was stored",
                                      code: "truncated_upload")
        }
        if size == 0 {
            throw APIError.badRequest("the upload is empty: send the file's bytes as the request body (curl -T FILE); nothing was stored",
                                      code: "empty_upload")
        }
        if let announced, announced != size {
            throw APIError.badRequest("received \(size) bytes but Content-Length announced \(announced); nothing was stored",
                                      code: "truncated_upload")
        }
        do { try handle.synchronize() } catch {
            if StorageFull.matches(error) { throw StorageFull.uploadError("receiving the upload") }
            throw error
        }
        complete = true
        return Received(url: target, size: size, sha256: APIKeyHasher.hex(hasher.finalize()))
    }
}
