import HTTPTypes
import Foundation
import Hummingbird

/// `GET /v1/dashboard`: every job of the caller's tenant (all tenants for an admin key) as a text table, or as an
/// HTML page when the client prefers `text/html`. `GET /v1/dashboard/jobs/{jobId}`: one of those jobs, with its
/// progress, audit and events; another tenant's job answers 404 exactly as an id that never existed.
struct DashboardRoutes {
    let service: ServiceComponents
    /// How many of a job's latest events its page shows.
    static let eventsShown = 50

    func register(on group: RouterGroup<APIRequestContext>) {
        group.get("dashboard") { request, context in try await dashboard(request, context) }
        group.get("dashboard/jobs/{jobId}") { request, context in try await jobPage(request, context) }
    }

    /// The tenant whose jobs the caller sees here: its own, or every tenant's (nil) for an admin key.
    private func visibleTenant(_ context: APIRequestContext) -> String? {
        (context.caller?.admin ?? false) ? nil : context.tenant
    }

    private func dashboard(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let admin = context.caller?.admin ?? false
        let jobs = try await service.jobs.list(tenant: visibleTenant(context), status: nil, before: nil, limit: 100)
        let counts = Dictionary(grouping: jobs, by: \.status).mapValues(\.count)
        let parts = JobStatus.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        let summary = "sani · \(jobs.count) job\(jobs.count == 1 ? "" : "s")\(parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")")"
            + " · \(service.configuration.workers) worker\(service.configuration.workers == 1 ? "" : "s") · \(Timestamp.format(Date()))"
        let renderer = DashboardRenderer(jobs: jobs, showTenant: admin && !service.openAccess)
        return Self.respond(request, text: { renderer.text(summary: summary) }, html: { renderer.html(summary: summary) })
    }

    private func jobPage(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("jobId")
        guard let job = try await service.jobs.job(id, tenant: visibleTenant(context)) else { throw APIError.notFound("job", id) }
        var inputs: [JobPageRenderer.Input] = []
        for (role, fileId) in JobPageRenderer.inputs(of: job) {
            inputs.append(.init(role: role, id: fileId, file: try await service.files.file(fileId, tenant: job.tenant)))
        }
        let audit = try await service.jobs.audit(job.id).flatMap { AuditFigures(reportJSON: $0.reportJSON) }
        let (events, total) = try await service.jobs.latestEvents(job.id, limit: Self.eventsShown)
        let renderer = JobPageRenderer(job: job, inputs: inputs, audit: audit, events: events, eventCount: total,
                                       showTenant: (context.caller?.admin ?? false) && !service.openAccess,
                                       reportLinked: service.openAccess || context.caller?.tenant == job.tenant)
        return Self.respond(request, text: { renderer.text() }, html: { renderer.html() })
    }

    /// HTML when the client prefers `text/html` (a browser), else text (curl).
    private static func respond(_ request: Request, text: () -> String, html: () -> String) -> Response {
        let accept = request.headers[.accept] ?? ""
        let isHTML = accept.contains("text/html")
        return Response(status: .ok,
                        headers: [.contentType: isHTML ? "text/html; charset=utf-8" : "text/plain; charset=utf-8",
                                  .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: isHTML ? html() : text())))
    }
}
