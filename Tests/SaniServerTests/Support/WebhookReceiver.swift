import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import Logging

/// A small HTTP server that receives webhooks, failing the first `failFirst` attempts with 500.
final class WebhookReceiver: @unchecked Sendable {
    struct Delivery { var id: String; var timestamp: String; var signature: String; var type: String; var body: Data }
    private let lock = NSLock()
    private var _delivered: [Delivery] = []
    private var _attempts = 0
    private var failuresLeft: Int
    private(set) var port = 0
    private var group: ServiceGroup?
    private var task: Task<Void, any Error>?

    var delivered: [Delivery] { lock.withLock { _delivered } }
    var attempts: Int { lock.withLock { _attempts } }

    private init(failFirst: Int) { failuresLeft = failFirst }

    static func start(failFirst: Int) async throws -> WebhookReceiver {
        let receiver = WebhookReceiver(failFirst: failFirst)
        let router = Router()
        router.post("hook") { request, _ -> Response in
            var request = request
            let body = Data(buffer: try await request.collectBody(upTo: 1 << 20))
            return receiver.receive(request, body: body)
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        receiver.group = group
        receiver.task = Task { try await group.run() }
        for await port in ports { receiver.port = port; break }
        return receiver
    }

    private func receive(_ request: Request, body: Data) -> Response {
        lock.lock(); defer { lock.unlock() }
        _attempts += 1
        if failuresLeft > 0 {
            failuresLeft -= 1
            return Response(status: .internalServerError)
        }
        let type = ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["type"] as? String ?? "?"
        _delivered.append(Delivery(id: request.headers[HTTPField.Name("webhook-id")!] ?? "",
                                   timestamp: request.headers[HTTPField.Name("webhook-timestamp")!] ?? "",
                                   signature: request.headers[HTTPField.Name("webhook-signature")!] ?? "",
                                   type: type, body: body))
        return Response(status: .noContent)
    }

    func stop() async {
        await group?.triggerGracefulShutdown()
        _ = try? await task?.value
    }
}
