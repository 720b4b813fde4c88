import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import Logging

/// Delivers queued webhook notifications with exponential back-off and records every attempt.
final class WebhookDispatcher: Sendable {
    let backend: StoreBackend
    let jobs: JobStore
    let configuration: ServerConfiguration
    let logger: Logger
    let session: URLSession

    init(backend: StoreBackend, jobs: JobStore, configuration: ServerConfiguration, logger: Logger) {
        self.backend = backend; self.jobs = jobs; self.configuration = configuration; self.logger = logger
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = configuration.webhookTimeoutSeconds
        c.timeoutIntervalForResource = configuration.webhookTimeoutSeconds
        session = URLSession(configuration: c)
    }

    /// Polls the outbox until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            do {
                let due = try await WebhookOutbox.due(backend, limit: 16)
                for message in due { await deliver(message) }
                if due.isEmpty { try await Task.sleep(for: .milliseconds(250)) }
            } catch is CancellationError {
                return
            } catch {
                logger.error("webhook outbox: \(error)")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Seconds to wait before attempt `n + 1` after `n` failed attempts.
    static func backoff(afterAttempts n: Int, initial: Double, maximum: Double) -> Double {
        min(maximum, initial * pow(2, Double(max(0, n - 1))))
    }

    func deliver(_ message: WebhookMessageRecord) async {
        var message = message
        let secret = (try? jobs.jobSync(message.jobId))??.webhookSecret ?? ""
        let body = Data(message.payload.utf8)
        let timestamp = Int(Date().timeIntervalSince1970)
        let headers = WebhookSigner(secret: secret).headers(id: message.id, timestamp: timestamp, body: body)
        message.attempts += 1
        let started = Date()
        var statusCode: Int?
        var failure: String?
        if let url = URL(string: message.url) {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
            do {
                let (_, response) = try await session.upload(for: request, from: body)
                statusCode = (response as? HTTPURLResponse)?.statusCode
                if let code = statusCode, !(200..<300).contains(code) { failure = "HTTP \(code)" }
            } catch {
                failure = error.localizedDescription
            }
        } else {
            failure = "invalid URL"
        }
        let succeeded = failure == nil
        if succeeded {
            message.state = "delivered"
        } else if message.attempts >= configuration.webhookMaxAttempts {
            message.state = "failed"
            logger.warning("webhook \(message.id) for job \(message.jobId) failed after \(message.attempts) attempts: \(failure ?? "")")
        } else {
            let wait = Self.backoff(afterAttempts: message.attempts, initial: configuration.webhookInitialBackoffSeconds,
                                    maximum: configuration.webhookMaxBackoffSeconds)
            message.nextAttemptAt = Date().addingTimeInterval(wait)
        }
        let delivery = WebhookDeliveryRecord(id: nil, messageId: message.id, jobId: message.jobId, attempt: message.attempts,
                                             attemptedAt: started, statusCode: statusCode, error: failure, succeeded: succeeded,
                                             milliseconds: Date().timeIntervalSince(started) * 1000)
        do { try await WebhookOutbox.record(backend, message: message, delivery: delivery) } catch {
            logger.error("webhook record: \(error)")
        }
    }
}
