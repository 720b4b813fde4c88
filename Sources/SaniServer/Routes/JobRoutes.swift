import HTTPTypes
import Crypto
import Foundation
import Hummingbird
import Sani

/// `/v1/jobs`: create, list, show, cancel, delete, events and audit.
struct JobRoutes {
    let service: ServiceComponents

    func register(on group: RouterGroup<APIRequestContext>) {
        group.post("jobs") { request, context in try await create(request, context) }
        group.get("jobs") { request, context in try await list(request, context) }
        group.get("jobs/{jobId}") { _, context in try JSONResponse.make(JobResource(try await job(context))) }
        group.post("jobs/{jobId}/cancel") { _, context in try await cancel(context) }
        group.delete("jobs/{jobId}") { _, context in try await delete(context) }
        group.get("jobs/{jobId}/events") { request, context in try await events(request, context) }
        group.get("jobs/{jobId}/audit") { _, context in try await audit(context) }
    }

    /// The job named in the path, if it belongs to the caller's tenant (404 otherwise, whoever owns it).
    func job(_ context: APIRequestContext) async throws -> JobRecord {
        let id = try context.parameters.require("jobId")
        guard let job = try await service.jobs.job(id, tenant: context.tenant) else { throw APIError.notFound("job", id) }
        return job
    }

    private func create(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let data = try await StrictJSON.body(request, limit: service.configuration.maxJSONBodyBytes)
        let body = try StrictJSON.decode(CreateJobRequest.self, from: data, allowed: CreateJobRequest.keys,
                                         nested: ["webhook": CreateJobRequest.Webhook.keys])
        let idempotencyKey = request.headers[HTTPField.Name("Idempotency-Key")!]
        if let key = idempotencyKey, key.isEmpty || key.count > 255 {
            throw APIError.badRequest("Idempotency-Key must be 1 to 255 characters", code: "invalid_header")
        }
        let tenant = context.tenant
        let model = try await inputFile(body.model, role: "model", tenant: tenant)
        guard model.kind == "folder" else {
            throw APIError.badRequest("model \(model.id) is a single file; upload the Hugging Face model folder as a tar (format=tar)",
                                      code: "invalid_model")
        }
        let corpus = try await inputFile(body.corpus, role: "corpus", tenant: tenant)
        guard corpus.kind == "file" else {
            throw APIError.badRequest("corpus \(corpus.id) is a folder; upload the corpus as one JSONL or text file", code: "invalid_corpus")
        }
        if let terms = body.terms {
            let file = try await inputFile(terms, role: "terms", tenant: tenant)
            guard file.kind == "file" else {
                throw APIError.badRequest("terms \(file.id) is a folder; upload the terms as one file", code: "invalid_terms")
            }
        }
        if let heldOut = body.heldOut {
            let file = try await inputFile(heldOut, role: "heldOut", tenant: tenant)
            guard file.kind == "file" else {
                throw APIError.badRequest("heldOut \(file.id) is a folder; upload the held-out notes as one JSONL or text file",
                                          code: "invalid_corpus")
            }
        }
        if let calibration = body.calibration {
            let file = try await inputFile(calibration, role: "calibration", tenant: tenant)
            guard file.kind == "file" else {
                throw APIError.badRequest("calibration \(file.id) is a folder; upload the calibration notes as one JSONL or text file",
                                          code: "invalid_corpus")
            }
        }
        if let base = body.base {
            let file = try await inputFile(base, role: "base", tenant: tenant)
            guard file.kind == "folder" else {
                throw APIError.badRequest("base \(file.id) is a single file; upload the base model's Hugging Face folder as a tar (format=tar)",
                                          code: "invalid_model")
            }
            guard file.id != model.id else {
                throw APIError.badRequest("base \(file.id) is the model to sanitize; base is the model its fine-tune started from",
                                          code: "invalid_model")
            }
        }
        if let hook = body.webhook {
            guard let url = URL(string: hook.url), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw APIError.badRequest("webhook.url must be an absolute http or https URL", code: "invalid_webhook")
            }
            guard hook.secret.count >= 16 else {
                throw APIError.badRequest("webhook.secret must have at least 16 characters", code: "invalid_webhook")
            }
        }
        let options = body.options ?? SanitizationOptions()
        let optionsJSON = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
        let now = Date()
        let record = JobRecord(
            seq: nil, id: Identifier.make("job"), tenant: tenant, status: .validating, modelFileId: body.model,
            corpusFileId: body.corpus, termsFileId: body.terms, heldOutFileId: body.heldOut, baseFileId: body.base,
            calibrationFileId: body.calibration, optionsJSON: optionsJSON, webhookURL: body.webhook?.url,
            webhookSecret: body.webhook?.secret, createdAt: now, updatedAt: now, startedAt: nil, endedAt: nil, phase: nil,
            epoch: nil, epochs: nil, step: nil, steps: nil, fraction: nil, loss: nil, etaSeconds: nil, message: nil,
            errorCode: nil, errorMessage: nil, cancelRequested: false, attempts: 0, tokenRegurgitationBefore: nil,
            tokenRegurgitationAfter: nil, spanExtractionBefore: nil, spanExtractionAfter: nil, inputsPurgedAt: nil,
            outputsPurgedAt: nil)
        // Same request = same meaning: hash a canonical encoding (sorted keys, options with their defaults filled in).
        var canonical = body
        canonical.options = options
        let requestHash = APIKeyHasher.hex(SHA256.hash(data: try APIJSON.encoder.encode(canonical)))
        let (job, created) = try await service.jobs.create(record, idempotencyKey: idempotencyKey, requestHash: requestHash)
        if created { service.workers.validate(job.id) }
        return try JSONResponse.make(JobResource(job), status: created ? .created : .ok,
                                     headers: [.location: "/v1/jobs/\(job.id)"])
    }

    private func inputFile(_ id: String, role: String, tenant: String) async throws -> FileRecord {
        guard let file = try await service.files.file(id, tenant: tenant) else {
            throw APIError.badRequest("\(role): no file with id \(id); upload it first with POST /v1/files", code: "unknown_file")
        }
        return file
    }

    private func list(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let query = try ListQuery(request)
        var status: JobStatus?
        if let text = request.uri.queryParameters["status"].map(String.init) {
            guard let s = JobStatus(rawValue: text) else {
                throw APIError.badRequest("status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))",
                                          code: "invalid_parameter")
            }
            status = s
        }
        let rows = try await service.jobs.list(tenant: context.tenant, status: status, before: query.cursor, limit: query.limit + 1)
        let page = Array(rows.prefix(query.limit))
        let next = rows.count > query.limit ? page.last?.seq.map(String.init) : nil
        return try JSONResponse.make(Page(data: page.map(JobResource.init), nextCursor: next))
    }

    private func cancel(_ context: APIRequestContext) async throws -> Response {
        let current = try await job(context)
        switch current.status {
        case .validating, .queued:
            if let updated = try service.jobs.transition(current.id, to: .cancelled, from: [.validating, .queued],
                                                         message: "cancelled before it started") {
                return try JSONResponse.make(JobResource(updated), status: .accepted)
            }
            // It started meanwhile: cancel it as a running job.
            fallthrough
        case .running:
            try await service.jobs.requestCancel(current.id)
            service.workers.stop(current.id, reason: .user)
            let updated = try await service.jobs.job(current.id, tenant: context.tenant) ?? current
            return try JSONResponse.make(JobResource(updated), status: .accepted)
        case .succeeded, .failed, .cancelled:
            throw APIError.conflict("job_finished", "job \(current.id) already ended (\(current.status.rawValue))")
        }
    }

    private func delete(_ context: APIRequestContext) async throws -> Response {
        let current = try await job(context)
        guard current.status.isFinal || current.status == .queued else {
            throw APIError.conflict("job_active",
                                    "job \(current.id) is \(current.status.rawValue); cancel it first (POST /v1/jobs/\(current.id)/cancel)")
        }
        if current.status == .queued {
            guard try service.jobs.transition(current.id, to: .cancelled, from: [.queued], message: "cancelled for deletion") != nil else {
                throw APIError.conflict("job_active", "job \(current.id) just started; cancel it first")
            }
        }
        try await service.purgeJob(current)
        return Response(status: .noContent)
    }

    private func events(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let current = try await job(context)
        let query = try ListQuery(request, defaultLimit: 100, maxLimit: 1000)
        let rows = try await service.jobs.events(current.id, after: query.cursor, limit: query.limit + 1)
        let page = Array(rows.prefix(query.limit))
        let next = rows.count > query.limit ? page.last?.id.map(String.init) : nil
        return try JSONResponse.make(Page(data: page.map(EventResource.init), nextCursor: next))
    }

    private func audit(_ context: APIRequestContext) async throws -> Response {
        let current = try await job(context)
        guard let audit = try await service.jobs.audit(current.id) else {
            throw APIError(.notFound, "audit_not_ready",
                           "job \(current.id) has no audit yet (status \(current.status.rawValue)); it is written when the job succeeds")
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: audit.reportJSON)))
    }
}
