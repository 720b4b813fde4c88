import HTTPTypes
import Hummingbird

/// The request context of the API: Hummingbird's core storage plus who is calling (set by `AuthMiddleware`).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller once authenticated; nil on the unauthenticated endpoints.
    public var caller: Caller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The tenant of the caller (the auth middleware guarantees it on `/v1`).
    var tenant: String { caller?.tenant ?? "default" }
}
