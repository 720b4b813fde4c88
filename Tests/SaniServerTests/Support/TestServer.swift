import Foundation
import Logging
import SaniServer
import XCTest

/// A real server on 127.0.0.1 with an ephemeral port and a temporary data folder, with two tenants' keys.
final class TestServer: @unchecked Sendable {
    static let keyA = "test-key-tenant-a-0123456789"
    static let keyB = "test-key-tenant-b-0123456789"

    let data: URL
    let service: SanitizationService
    let running: RunningServer
    var base: URL { URL(string: "http://127.0.0.1:\(running.port)")! }

    private init(data: URL, service: SanitizationService, running: RunningServer) {
        self.data = data; self.service = service; self.running = running
    }

    static func temporaryFolder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func start(data: URL? = nil, executor: any JobExecutor, keys: Bool = true,
                      configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let folder = try data ?? temporaryFolder("sani-server-test")
        var c = ServerConfiguration()
        c.port = 0
        c.dataDirectory = folder.path
        c.progressEventIntervalSeconds = 0.05
        if keys {
            c.apiKeys = [ConfiguredAPIKey(tenant: "tenant-a", key: keyA), ConfiguredAPIKey(tenant: "tenant-b", key: keyB)]
        }
        configure(&c)
        var logger = Logger(label: "sani-test")
        logger.logLevel = ProcessInfo.processInfo.environment["SANI_TEST_LOG"] == nil ? .critical : .debug
        let service = try SanitizationService(configuration: c, executor: executor, logger: logger)
        let running = try await service.start()
        return TestServer(data: folder, service: service, running: running)
    }

    func client(_ key: String? = TestServer.keyA, recorder: ConformanceRecorder? = nil) -> TestHTTP {
        TestHTTP(base: base, token: key, recorder: recorder)
    }

    func stop() async { await running.stop() }
    func crash() async { await running.stopAbandoningJobs() }

    /// Polls a job until `done` holds (or fails the test after `timeout` seconds).
    func waitForJob(_ id: String, client: TestHTTP, timeout: TimeInterval = 60,
                    until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let r = try await client.send("GET", "/v1/jobs/\(id)")
            let job = try r.object()
            if done(job) { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        let last = try await client.send("GET", "/v1/jobs/\(id)")
        XCTFail("job \(id) did not reach the expected state in \(timeout)s: \(String(decoding: last.body, as: UTF8.self))")
        throw CancellationError()
    }

    static func isFinal(_ job: [String: Any]) -> Bool {
        ["succeeded", "failed", "cancelled"].contains(job["status"] as? String ?? "")
    }
}
