import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// The request context of the API: Hummingbird's core storage plus who is calling (set by `AuthMiddleware`).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller once authenticated; nil on the unauthenticated endpoints.
    public var caller: Caller?
    /// The connection, to answer `Expect: 100-continue` once the caller is known.
    let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Tells a client waiting with `Expect: 100-continue` to send its body. Sent only after authentication, so a
    /// client with a wrong key gets its 401 before sending a byte of a (possibly multi-gigabyte) upload;
    /// `ConnectionGuardHandler` drops it when the announced length is over the upload limit (the 413 follows).
    func sendContinueIfExpected(_ request: Request) async {
        guard let channel, let expect = request.headers[.expect], expect.lowercased() == "100-continue" else { return }
        try? await channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)))
    }

    /// The tenant of the caller (the auth middleware guarantees it on `/v1`).
    var tenant: String { caller?.tenant ?? "default" }
}
