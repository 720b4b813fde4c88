import Foundation

/// Every setting of the server, with the defaults `sani serve` runs on when there is no configuration file.
///
/// Sources, later ones winning: these defaults < `--config FILE` (YAML) < `SANI_*` environment variables <
/// command-line flags. `config/sani.yaml` documents each setting; `SettingCatalog` lists them with their YAML
/// path and environment variable.
public struct ServerConfiguration: Sendable, Equatable {
    // server
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    public var idleTimeoutSeconds: Double = 60
    public var maxHeaderFieldBytes: Int = 16 * 1024
    public var maxHeaderListBytes: Int = 64 * 1024
    public var maxHeaderCount: Int = 100
    public var maxJSONBodyBytes: Int = 1024 * 1024
    // storage
    public var dataDirectory: String = "./data"
    /// Empty: SQLite in the data folder. `postgres://…`: PostgreSQL, shared by several processes.
    public var databaseURL: String = ""
    /// `all` (HTTP API and jobs in one process), `api` (HTTP API only) or `worker` (jobs only; PostgreSQL).
    public var role: String = "all"
    // uploads
    public var maxUploadBytes: Int64 = 20 * 1024 * 1024 * 1024
    public var maxTarEntries: Int = 10_000
    public var allowURLFetch: Bool = false
    public var fetchTimeoutSeconds: Double = 3600
    // workers
    public var workers: Int = 1
    public var progressEventIntervalSeconds: Double = 1
    /// On PostgreSQL: how long a worker's claim on a running job lasts without renewal.
    public var leaseSeconds: Double = 30
    /// On PostgreSQL: how often a worker looks for queued jobs and expired leases.
    public var pollSeconds: Double = 1
    // auth
    public var apiKeys: [ConfiguredAPIKey] = []
    // retention
    public var inputRetentionSeconds: Double = 24 * 3600
    public var outputRetentionSeconds: Double = 30 * 24 * 3600
    public var retentionSweepSeconds: Double = 600
    // webhooks
    public var webhookMaxAttempts: Int = 8
    public var webhookInitialBackoffSeconds: Double = 2
    public var webhookMaxBackoffSeconds: Double = 3600
    public var webhookTimeoutSeconds: Double = 10
    // logging
    public var logLevel: String = "info"

    public init() {}

    /// The data folder as an absolute URL.
    public var dataURL: URL {
        URL(fileURLWithPath: dataDirectory, isDirectory: true).standardizedFileURL
    }

    /// This configuration with its secrets hidden (the database password, API keys given as keys), for
    /// `sani serve --print-config`.
    public var redacted: ServerConfiguration {
        var c = self
        if var url = URLComponents(string: databaseURL), url.password != nil {
            url.password = "REDACTED"
            c.databaseURL = url.string ?? "REDACTED"
        }
        c.apiKeys = apiKeys.map { ConfiguredAPIKey(tenant: $0.tenant, sha256: $0.hash, admin: $0.admin) }
        return c
    }

    /// True when this process runs jobs.
    public var runsJobs: Bool { role != "api" }
    /// True when this process answers HTTP.
    public var servesHTTP: Bool { role != "worker" }

    /// True when the server listens on a loopback address only.
    public var isLoopback: Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
    }

    /// Checks ranges and consistency; the message names the setting.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw ConfigurationError.invalid(message) }
        }
        try check(!host.isEmpty, "server.host must not be empty")
        try check(port >= 0 && port <= 65535, "server.port must be between 0 and 65535")
        try check(idleTimeoutSeconds > 0, "server.idleTimeoutSeconds must be positive")
        try check(maxHeaderFieldBytes >= 1024, "server.maxHeaderFieldBytes must be at least 1024")
        try check(maxHeaderListBytes >= maxHeaderFieldBytes, "server.maxHeaderListBytes must be >= maxHeaderFieldBytes")
        try check(maxHeaderCount >= 10, "server.maxHeaderCount must be at least 10")
        try check(maxJSONBodyBytes >= 1024, "server.maxJSONBodyBytes must be at least 1024")
        try check(!dataDirectory.isEmpty, "storage.dataDirectory must not be empty")
        try check(maxUploadBytes >= 1, "uploads.maxBytes must be positive")
        try check(maxTarEntries >= 1, "uploads.maxTarEntries must be positive")
        try check(fetchTimeoutSeconds > 0, "uploads.fetchTimeoutSeconds must be positive")
        try check(workers >= 1 && workers <= 64, "workers.concurrency must be between 1 and 64")
        try check(["all", "api", "worker"].contains(role), "server.role must be all, api or worker")
        try check(databaseURL.isEmpty || databaseURL.lowercased().hasPrefix("postgres://")
                  || databaseURL.lowercased().hasPrefix("postgresql://"),
                  "database.url must be empty (SQLite in the data folder) or a postgres:// address")
        try check(role == "all" || !databaseURL.isEmpty,
                  "server.role \(role) needs database.url (postgres://…): with SQLite one process does both")
        try check(leaseSeconds >= 3, "workers.leaseSeconds must be at least 3")
        try check(pollSeconds > 0 && pollSeconds <= leaseSeconds, "workers.pollSeconds must be positive and at most workers.leaseSeconds")
        try check(progressEventIntervalSeconds >= 0, "workers.progressEventIntervalSeconds must be >= 0")
        try check(inputRetentionSeconds >= 0, "retention.inputsAfterSeconds must be >= 0")
        try check(outputRetentionSeconds >= 0, "retention.outputsAfterSeconds must be >= 0")
        try check(retentionSweepSeconds > 0, "retention.sweepIntervalSeconds must be positive")
        try check(webhookMaxAttempts >= 1, "webhooks.maxAttempts must be at least 1")
        try check(webhookInitialBackoffSeconds > 0, "webhooks.initialBackoffSeconds must be positive")
        try check(webhookMaxBackoffSeconds >= webhookInitialBackoffSeconds, "webhooks.maxBackoffSeconds must be >= initialBackoffSeconds")
        try check(webhookTimeoutSeconds > 0, "webhooks.timeoutSeconds must be positive")
        try check(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel),
                  "logging.level must be one of trace, debug, info, notice, warning, error, critical")
        for key in apiKeys { try key.validate() }
    }
}

/// An API key given in the configuration: its tenant and either the key itself or its SHA-256 (hex).
public struct ConfiguredAPIKey: Sendable, Equatable {
    public var tenant: String
    public var key: String?
    public var sha256: String?
    public var admin: Bool

    public init(tenant: String, key: String? = nil, sha256: String? = nil, admin: Bool = false) {
        self.tenant = tenant; self.key = key; self.sha256 = sha256; self.admin = admin
    }

    /// The hash stored in the database.
    public var hash: String { sha256?.lowercased() ?? APIKeyHasher.hash(key ?? "") }

    func validate() throws {
        guard TenantName.isValid(tenant) else {
            throw ConfigurationError.invalid("auth.keys: tenant \"\(tenant)\" must be 1-64 characters of a-z, A-Z, 0-9, '-', '_', '.'")
        }
        switch (key, sha256) {
        case let (k?, nil):
            if k.count < 16 { throw ConfigurationError.invalid("auth.keys: the key of tenant \"\(tenant)\" is shorter than 16 characters") }
        case let (nil, h?):
            if h.count != 64 || !h.allSatisfy(\.isHexDigit) {
                throw ConfigurationError.invalid("auth.keys: sha256 of tenant \"\(tenant)\" must be 64 hex digits")
            }
        default:
            throw ConfigurationError.invalid("auth.keys: give exactly one of key or sha256 for tenant \"\(tenant)\"")
        }
    }
}

/// Tenant names: short, printable, safe in logs and URLs.
public enum TenantName {
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
    }
}

/// A configuration that cannot be used; the message names the setting and what it accepts.
public enum ConfigurationError: Error, CustomStringConvertible, LocalizedError {
    case invalid(String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalid(message): return "configuration: \(message)"
        case let .unreadable(path, reason): return "configuration file \(path): \(reason)"
        }
    }
    public var errorDescription: String? { description }
}
