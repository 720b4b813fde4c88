import HTTPTypes
import Foundation
import GRDB
import Hummingbird

/// Unauthenticated operational endpoints: liveness, readiness and Prometheus metrics.
struct HealthRoutes {
    let service: ServiceComponents

    func register(on router: Router<APIRequestContext>) {
        router.get("healthz") { _, _ in try JSONResponse.make(["status": "ok"]) }
        router.get("readyz") { _, _ in try await ready() }
        router.get("metrics") { _, _ in try metrics() }
    }

    private func ready() async throws -> Response {
        do {
            if let pg = service.backend.postgres {
                try await pg.ping()
            } else {
                _ = try await service.backend.sqlite!.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
            }
            let fm = FileManager.default
            guard fm.isWritableFile(atPath: service.layout.root.path) else {
                throw APIError(.serviceUnavailable, "not_ready", "the data folder \(service.layout.root.path) is not writable")
            }
            return try JSONResponse.make(["status": "ready"])
        } catch let e as APIError {
            throw e
        } catch {
            throw APIError(.serviceUnavailable, "not_ready", "database unavailable: \(error)")
        }
    }

    private func metrics() throws -> Response {
        service.metrics.setJobCounts(try service.jobs.counts())
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: service.metrics.exposition())))
    }
}
