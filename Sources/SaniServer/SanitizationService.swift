import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The sanitization service: HTTP API, job store, workers, webhooks and retention, started together.
///
/// `run()` serves until SIGINT/SIGTERM (what `sani serve` does); `start()` returns once listening, with the bound
/// port, for tests and embedding.
public final class SanitizationService: Sendable {
    let components: ServiceComponents
    public var configuration: ServerConfiguration { components.configuration }
    /// True when requests need no API key (none configured, loopback only).
    public var openAccess: Bool { components.openAccess }

    public init(configuration: ServerConfiguration, executor: any JobExecutor = SanitizerExecutor(),
                logger: Logger = Logger(label: "sani")) throws {
        components = try ServiceComponents(configuration: configuration, executor: executor, logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then stops the running jobs so that they resume at the next start.
    public func run() async throws {
        let group = try makeServiceGroup(signals: [.sigterm, .sigint], onRunning: { _ in })
        try await group.run()
    }

    /// Starts serving in the background and returns once the socket is bound.
    public func start() async throws -> RunningServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let group = try makeServiceGroup(signals: [], onRunning: { port in continuation.yield(port) })
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        for await port in ports {
            return RunningServer(port: port, group: group, task: task, components: components)
        }
        try await task.value
        throw ConfigurationError.invalid("the server stopped before listening")
    }

    /// The Hummingbird router with every route; exposed for the conformance test.
    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        let routes = RouteMethods()
        router.add(middleware: ErrorMiddleware(metrics: components.metrics, routes: routes))
        HealthRoutes(service: components).register(on: router)
        let v1 = router.group("v1").add(middleware: AuthMiddleware(keys: components.keys, open: components.openAccess))
        FileRoutes(service: components).register(on: v1)
        let jobRoutes = JobRoutes(service: components)
        jobRoutes.register(on: v1)
        ArtifactRoutes(service: components, jobRoutes: jobRoutes).register(on: v1)
        DashboardRoutes(service: components).register(on: v1)
        routes.record(router)
        return router
    }

    private func makeServiceGroup(signals: [UnixSignal], onRunning: @escaping @Sendable (Int) -> Void) throws -> ServiceGroup {
        let c = configuration
        let logger = components.logger
        let limit = c.maxUploadBytes
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuardHandler(maxBodyBytes: limit)],
            idleTimeout: .milliseconds(Int64(c.idleTimeoutSeconds * 1000)),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: c.maxHeaderFieldBytes, maxHeaderListSize: c.maxHeaderListBytes,
                                            maxHeaderFieldCount: c.maxHeaderCount))
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: http1),
            configuration: .init(address: .hostname(c.host, port: c.port), serverName: "sani"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? c.port
                logger.info("sani listening on http://\(c.host):\(port) (data: \(c.dataURL.path), workers: \(c.workers))")
                onRunning(port)
            },
            logger: logger)
        let background = BackgroundService(components: components)
        guard c.servesHTTP else {
            let database = components.backend.postgres?.address ?? "sqlite"
            logger.info("sani worker \(components.instance) running (data: \(c.dataURL.path), workers: \(c.workers), database: \(database))")
            return ServiceGroup(configuration: .init(services: [background], gracefulShutdownSignals: signals, logger: logger))
        }
        return ServiceGroup(configuration: .init(services: [app, background], gracefulShutdownSignals: signals, logger: logger))
    }
}

/// A server started with `SanitizationService.start()`.
public final class RunningServer: Sendable {
    public let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let components: ServiceComponents

    init(port: Int, group: ServiceGroup, task: Task<Void, any Error>, components: ServiceComponents) {
        self.port = port; self.group = group; self.task = task; self.components = components
    }

    /// Stops gracefully: running jobs are interrupted and re-queued for the next start.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// Stops as a crash would: running jobs are left `running` in the database and their outcome is never written.
    public func stopAbandoningJobs() async {
        components.workers.shutdown(reason: .abandon)
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Start-up recovery, the worker queue, the webhook outbox and the retention sweep, as one lifecycle service.
struct BackgroundService: Service {
    let components: ServiceComponents

    func run() async throws {
        let c = components
        if c.openAccess {
            c.logger.warning("no API key configured: the API is open to anyone who can reach \(c.configuration.host) (loopback only); add keys with auth.keys, SANI_API_KEYS or `sani serve --add-key TENANT`")
        }
        let recovered = c.recovered
        if !recovered.requeued.isEmpty {
            c.logger.info("re-queued \(recovered.requeued.count) job(s) interrupted by the last stop: \(recovered.requeued.joined(separator: ", "))")
        }
        for id in recovered.revalidate { c.workers.validate(id) }
        c.workers.kick()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await WebhookDispatcher(backend: c.backend, jobs: c.jobs, configuration: c.configuration, logger: c.logger).run() }
            if c.configuration.servesHTTP {
                group.addTask { await RetentionSweeper(service: c).run() }
            }
            if let pg = c.backend.postgres, c.configuration.runsJobs {
                group.addTask { await LeaseKeeper(store: pg, workers: c.workers, configuration: c.configuration, logger: c.logger).run() }
            }
            group.addTask {
                try? await gracefulShutdown()
            }
            await group.next()
            group.cancelAll()
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                c.workers.shutdown(reason: .shutdown)
                done.resume()
            }
        }
        c.logger.info("workers stopped")
    }
}
