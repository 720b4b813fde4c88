import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sits after the HTTP/1 codec, before Hummingbird's handlers:
/// - lets the `100 Continue` that `AuthMiddleware` sends once the API key is checked through, unless the announced
///   `Content-Length` already exceeds the upload limit (the client then sends nothing and gets the 413; a client
///   with a wrong key gets its 401 without sending its body either);
/// - when a final response is written before the request body was completely read (413 mid-upload, 401 on an
///   upload, a truncated or malformed body), marks it `Connection: close` and ends the connection after it with a
///   bounded lingering close: the server's side is shut for writing (the client sees the end of the response), what
///   the client still sends is read and thrown away for at most `lingerSeconds` or `lingerBytes`, then the socket is
///   closed. Closing at once with unread bytes in the socket makes the kernel send a reset, and a client still
///   uploading then loses the 413 it was sent; a lingering close without bounds would drain a multi-gigabyte body.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let maxBodyBytes: Int64
    private let lingerSeconds: Int64
    private let lingerBytes: Int
    private var requestOpen = false
    /// The current request announced a body over the limit: no `100 Continue` for it.
    private var withholdContinue = false
    private var closeAfterResponse = false
    /// Set once the response that ends the connection is written: everything read from then on is thrown away.
    private var lingering = false
    private var lingerUntil = NIODeadline.distantFuture
    private var discarded = 0

    init(maxBodyBytes: Int64, lingerSeconds: Int64 = 2, lingerBytes: Int = 8 << 20) {
        self.maxBodyBytes = maxBodyBytes
        self.lingerSeconds = lingerSeconds
        self.lingerBytes = lingerBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if lingering {
            if case .body(let bytes) = part { discarded += bytes.readableBytes }
            if discarded > lingerBytes { context.close(promise: nil) }
            return
        }
        switch part {
        case .head(let request):
            requestOpen = true
            let announced = request.headerFields[.contentLength].flatMap { Int64($0) }
            withholdContinue = announced.map { $0 > maxBodyBytes } ?? false
        case .body:
            break
        case .end:
            requestOpen = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response) where response.status == .continue:
            // Only while the request's body is still to come, and not for a body already known to be too large.
            if withholdContinue || !requestOpen {
                promise?.succeed(())
                return
            }
            context.write(data, promise: promise)
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
                lingering = true
                lingerUntil = .now() + .seconds(lingerSeconds)
                let channel = context.channel
                let linger = TimeAmount.seconds(lingerSeconds)
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { result in
                    switch result {
                    case .success:
                        // Half-close, keep reading (and discarding) for a bounded time, then close for good.
                        channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
                        channel.eventLoop.scheduleTask(in: linger) { channel.close(promise: nil) }
                    case .failure:
                        channel.close(promise: nil)
                    }
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

    /// While lingering, a close asked for by the handlers above (the request is over for them) only shuts the
    /// writing side; the scheduled close, the byte bound or the client's own close ends the connection.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if lingering, mode == .all, context.channel.isActive, discarded <= lingerBytes, NIODeadline.now() < lingerUntil {
            context.close(mode: .output, promise: nil)
            promise?.succeed(())
            return
        }
        context.close(mode: mode, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Bytes after the final response may not parse as HTTP; they are thrown away, not reported.
        if lingering { return }
        context.fireErrorCaught(error)
    }
}
