import HTTPTypes
import Foundation
import Hummingbird

/// `GET /v1/dashboard`: every job of the caller's tenant (all tenants for an admin key) as a text table, or as an
/// HTML page when the client prefers `text/html`.
struct DashboardRoutes {
    let service: ServiceComponents

    func register(on group: RouterGroup<APIRequestContext>) {
        group.get("dashboard") { request, context in try await dashboard(request, context) }
    }

    private func dashboard(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let admin = context.caller?.admin ?? false
        let jobs = try await service.jobs.list(tenant: admin ? nil : context.tenant, status: nil, before: nil, limit: 100)
        let counts = Dictionary(grouping: jobs, by: \.status).mapValues(\.count)
        let parts = JobStatus.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        let summary = "sani · \(jobs.count) job\(jobs.count == 1 ? "" : "s")\(parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")")"
            + " · \(service.configuration.workers) worker\(service.configuration.workers == 1 ? "" : "s") · \(Timestamp.format(Date()))"
        let renderer = DashboardRenderer(jobs: jobs, showTenant: admin && !service.openAccess)
        let accept = request.headers[.accept] ?? ""
        if accept.contains("text/html") {
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: renderer.html(summary: summary))))
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: renderer.text(summary: summary))))
    }
}
