import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sits after the HTTP/1 codec, before Hummingbird's handlers:
/// - answers `Expect: 100-continue` at once with `100 Continue` (curl otherwise waits a second before every upload
///   over 1 MiB), or not at all when the announced `Content-Length` already exceeds the upload limit, so the client
///   sends nothing and gets the 413;
/// - when a final response is written before the request body was completely read (413 mid-upload, 401 on an
///   upload, a truncated or malformed body), marks it `Connection: close` and closes the connection after it, so
///   the rest of a multi-gigabyte body is never drained.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let maxBodyBytes: Int64
    private var requestOpen = false
    private var closeAfterResponse = false

    init(maxBodyBytes: Int64) { self.maxBodyBytes = maxBodyBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let request):
            requestOpen = true
            if let expect = request.headerFields[.expect], expect.lowercased() == "100-continue" {
                let announced = request.headerFields[.contentLength].flatMap { Int64($0) }
                if announced.map({ $0 <= maxBodyBytes }) ?? true {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
                }
            }
        case .body:
            break
        case .end:
            requestOpen = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where response.status.kind != .informational:
            if requestOpen {
                closeAfterResponse = true
                response.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(response)), promise: promise)
                return
            }
            context.write(data, promise: promise)
        case .end:
            if closeAfterResponse {
                let channel = context.channel
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { result in
                    channel.close(promise: nil)
                    switch result {
                    case .success: promise?.succeed(())
                    case .failure(let error): promise?.fail(error)
                    }
                }
                context.writeAndFlush(data, promise: written)
                return
            }
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }
}
