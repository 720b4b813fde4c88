import Foundation
import Prometheus
import Synchronization

/// The Prometheus metrics of the server, exposed at `GET /metrics`.
public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let statusGauges: [JobStatus: Gauge]
    let queueDepth: Gauge
    let runningJobs: Gauge
    let tokensPerSecond: Gauge
    let uploadedBytes: Counter
    let webhookAttempts: Counter
    private let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]
    private let perJobTokens = Mutex<[String: Double]>([:])

    public init() {
        var gauges: [JobStatus: Gauge] = [:]
        for status in JobStatus.allCases {
            gauges[status] = registry.makeGauge(
                descriptor: .init(namespace: "sani", metricName: "jobs", unitName: "", helpText: "Jobs by status"),
                labels: [("status", status.rawValue)])
        }
        statusGauges = gauges
        queueDepth = registry.makeGauge(descriptor: .init(namespace: "sani", metricName: "queue_depth", unitName: "",
                                                          helpText: "Jobs waiting for a worker"))
        runningJobs = registry.makeGauge(descriptor: .init(namespace: "sani", metricName: "running_jobs", unitName: "",
                                                           helpText: "Jobs running in this process"))
        tokensPerSecond = registry.makeGauge(descriptor: .init(namespace: "sani", metricName: "training_tokens_per_second",
                                                               unitName: "", helpText: "Repair training throughput, summed over running jobs"))
        uploadedBytes = registry.makeCounter(descriptor: .init(namespace: "sani", metricName: "uploaded", unitName: "bytes_total",
                                                               helpText: "Bytes received in uploads"))
        webhookAttempts = registry.makeCounter(descriptor: .init(namespace: "sani", metricName: "webhook_attempts", unitName: "total",
                                                                 helpText: "Webhook delivery attempts"))
    }

    func setJobCounts(_ counts: [JobStatus: Int]) {
        for (status, gauge) in statusGauges { gauge.set(Double(counts[status] ?? 0)) }
        queueDepth.set(Double(counts[.queued] ?? 0))
    }

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "sani", metricName: "http_request_duration", unitName: "seconds",
                              helpText: "HTTP request latency"),
            labels: [("method", method), ("route", route), ("status", String(status))],
            buckets: latencyBuckets
        ).record(duration)
    }

    func setTokensPerSecond(job: String, _ value: Double?) {
        let total = perJobTokens.withLock { table -> Double in
            table[job] = value
            return table.values.reduce(0, +)
        }
        tokensPerSecond.set(total)
    }

    func exposition() -> String { registry.emitToString() }
}
