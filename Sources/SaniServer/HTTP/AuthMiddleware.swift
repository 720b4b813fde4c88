import HTTPTypes
import Hummingbird

/// Bearer API keys: sets the caller (tenant) on the context or answers 401. With `open` (no key configured and
/// listening on loopback only) every request acts for the tenant `default`.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let keys: APIKeyStore
    let open: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if open {
            // Open mode is for a server used from this machine only. A request relayed by a reverse proxy (the
            // deploy examples) would open every tenant's data to the proxy's clients: refuse it.
            for name in ["forwarded", "x-forwarded-for", "x-real-ip"] {
                if let field = HTTPField.Name(name), request.headers[field] != nil {
                    throw APIError(.forbidden, "keys_required",
                                   "this server has no API keys and accepts local requests only; a proxied request "
                                   + "was refused (configure auth.keys or `sani serve --add-key TENANT`)")
                }
            }
            context.caller = Caller(tenant: "default", admin: true)
            await context.sendContinueIfExpected(request)
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, let caller = try await keys.caller(forKey: token) else { throw APIError.unauthorized }
        context.caller = caller
        await context.sendContinueIfExpected(request)
        return try await next(request, context)
    }
}
