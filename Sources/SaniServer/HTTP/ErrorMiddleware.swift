import HTTPTypes
import Foundation
import Hummingbird
import Logging

/// Outermost middleware: every error becomes `{"error": {"code", "message"}}` with its status, a known path asked
/// with a method it does not have gets 405 with `Allow`, and every request's latency is recorded in the metrics
/// under its route template.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let metrics: ServerMetrics
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router answers 404 for a known path asked with a method it has no route for.
            if let allowed = routes.allowed(onPath: request.uri.path), !allowed.contains(request.method.rawValue) {
                var refusal = APIError(.methodNotAllowed, "method_not_allowed",
                                       "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(allowed.joined(separator: ", "))")
                refusal.headers[.allow] = allowed.joined(separator: ", ")
                response = refusal.response
            } else {
                response = Self.response(for: error, logger: context.logger)
            }
        } catch {
            response = Self.response(for: error, logger: context.logger)
        }
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: response.status.code,
                              duration: ContinuousClock.now - start)
        return response
    }

    static func response(for error: any Error, logger: Logger) -> Response {
        switch error {
        case let e as APIError:
            return e.response
        case let e as HTTPError:
            let code: String
            switch e.status {
            case .notFound: code = "not_found"
            case .contentTooLarge: code = "too_large"
            case .badRequest: code = "bad_request"
            case .methodNotAllowed: code = "method_not_allowed"
            case .unauthorized: code = "unauthorized"
            default: code = "http_\(e.status.code)"
            }
            let message = e.body ?? (e.status == .notFound ? "no such endpoint" : e.status.reasonPhrase)
            return APIError(e.status, code, message).response
        case let e as DecodingError:
            return APIError.badRequest(DecodingErrorText.describe(e), code: "invalid_json").response
        default:
            logger.error("unhandled error: \(error)")
            // The details (paths, internals) go to the log only.
            return APIError(.internalServerError, "internal_error",
                            "internal error; the server log has the details").response
        }
    }
}

/// A readable description of a JSON decoding error: which field and what was wrong.
enum DecodingErrorText {
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let p = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "the body" : p
        }
        switch error {
        case let .keyNotFound(key, ctx): return "missing field \"\(path(ctx.codingPath + [key]))\""
        case let .typeMismatch(type, ctx): return "\(path(ctx.codingPath)) must be of type \(type)"
        case let .valueNotFound(type, ctx): return "\(path(ctx.codingPath)) must be a \(type), not null"
        case let .dataCorrupted(ctx):
            return ctx.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "invalid JSON"
        }
    }
}
