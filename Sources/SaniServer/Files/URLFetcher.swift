import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads a file from a URL into `uploads/` with URLSession's `download` (streamed to disk by Foundation),
/// then checks the size limit and hashes it.
struct URLFetcher {
    let layout: DataLayout
    let limit: Int64
    let timeout: TimeInterval

    func fetch(_ url: URL) async throws -> UploadReceiver.Received {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let downloaded: URL
        let response: URLResponse
        do { (downloaded, response) = try await session.download(from: url) } catch {
            throw APIError(.badGateway, "fetch_failed", "could not fetch \(url.absoluteString): \(error.localizedDescription)")
        }
        let target = layout.newUploadPath()
        do { try FileManager.default.moveItem(at: downloaded, to: target) } catch {
            removeIfPresent(downloaded)
            throw error
        }
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            removeIfPresent(target)
            throw APIError(.badGateway, "fetch_failed", "\(url.absoluteString) answered HTTP \(http.statusCode)")
        }
        do {
            let digest = try FileDigest.sha256(of: target)
            if digest.size > limit {
                removeIfPresent(target)
                throw APIError.tooLarge(limit: limit)
            }
            return .init(url: target, size: digest.size, sha256: digest.hex)
        } catch {
            removeIfPresent(target)
            throw error
        }
    }
}
