import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SaniServer

/// Runs async work from the synchronous command tree and waits for it.
enum AsyncBridge {
    static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        guard let result = box.result else { throw ValidationError("internal: no result") }
        return try result.get()
    }

    private final class ResultBox<T>: @unchecked Sendable { var result: Result<T, any Error>? }
}

/// Where the server is and how to authenticate, shared by the client commands.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (default: $SANI_SERVER or http://127.0.0.1:8080).") var server: String?
    @Option(help: "API key (default: $SANI_TOKEN).") var token: String?

    func client() throws -> SaniClient {
        let env = ProcessInfo.processInfo.environment
        let text = server ?? env["SANI_SERVER"] ?? "http://127.0.0.1:8080"
        guard let url = URL(string: text), url.scheme != nil else { throw ValidationError("--server must be a URL, got \(text)") }
        return SaniClient(base: url, token: token ?? env["SANI_TOKEN"])
    }
}

/// A failure reported by the server (its JSON error) or by the transport.
struct ClientError: Error, CustomStringConvertible {
    var description: String
}
