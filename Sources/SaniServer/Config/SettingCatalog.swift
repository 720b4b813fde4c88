import Foundation

/// One scalar setting: where it lives in the YAML file, its environment variable, and how a text value is applied.
public struct Setting: Sendable {
    public let path: String
    public let apply: @Sendable (inout ServerConfiguration, String) throws -> Void

    /// `server.port` -> `SANI_SERVER_PORT`, `storage.dataDirectory` -> `SANI_STORAGE_DATA_DIRECTORY`.
    public var environmentVariable: String {
        var out = "SANI_"
        for ch in path {
            if ch == "." { out += "_" } else if ch.isUppercase { out += "_" + String(ch) } else { out += String(ch).uppercased() }
        }
        return out
    }
}

/// Every scalar setting of `ServerConfiguration`. API keys are a list and handled apart (`auth.keys`, `SANI_API_KEYS`).
public enum SettingCatalog {
    public static let all: [Setting] = [
        text("server.host") { $0.host = $1 },
        int("server.port") { $0.port = $1 },
        double("server.idleTimeoutSeconds") { $0.idleTimeoutSeconds = $1 },
        int("server.maxHeaderFieldBytes") { $0.maxHeaderFieldBytes = $1 },
        int("server.maxHeaderListBytes") { $0.maxHeaderListBytes = $1 },
        int("server.maxHeaderCount") { $0.maxHeaderCount = $1 },
        int("server.maxJSONBodyBytes") { $0.maxJSONBodyBytes = $1 },
        text("storage.dataDirectory") { $0.dataDirectory = $1 },
        text("database.url") { $0.databaseURL = $1 },
        text("server.role") { $0.role = $1.lowercased() },
        bytes("uploads.maxBytes") { $0.maxUploadBytes = $1 },
        int("uploads.maxTarEntries") { $0.maxTarEntries = $1 },
        bool("uploads.allowURLFetch") { $0.allowURLFetch = $1 },
        double("uploads.fetchTimeoutSeconds") { $0.fetchTimeoutSeconds = $1 },
        int("workers.concurrency") { $0.workers = $1 },
        double("workers.progressEventIntervalSeconds") { $0.progressEventIntervalSeconds = $1 },
        double("workers.leaseSeconds") { $0.leaseSeconds = $1 },
        double("workers.pollSeconds") { $0.pollSeconds = $1 },
        double("retention.inputsAfterSeconds") { $0.inputRetentionSeconds = $1 },
        double("retention.outputsAfterSeconds") { $0.outputRetentionSeconds = $1 },
        double("retention.sweepIntervalSeconds") { $0.retentionSweepSeconds = $1 },
        int("webhooks.maxAttempts") { $0.webhookMaxAttempts = $1 },
        double("webhooks.initialBackoffSeconds") { $0.webhookInitialBackoffSeconds = $1 },
        double("webhooks.maxBackoffSeconds") { $0.webhookMaxBackoffSeconds = $1 },
        double("webhooks.timeoutSeconds") { $0.webhookTimeoutSeconds = $1 },
        text("logging.level") { $0.logLevel = $1.lowercased() },
    ]

    public static func setting(path: String) -> Setting? { all.first { $0.path == path } }

    private static func text(_ path: String, _ set: @escaping @Sendable (inout ServerConfiguration, String) -> Void) -> Setting {
        Setting(path: path) { config, value in set(&config, value) }
    }

    private static func int(_ path: String, _ set: @escaping @Sendable (inout ServerConfiguration, Int) -> Void) -> Setting {
        Setting(path: path) { config, value in
            guard let v = Int(value.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError.invalid("\(path) must be an integer, got \"\(value)\"")
            }
            set(&config, v)
        }
    }

    private static func double(_ path: String, _ set: @escaping @Sendable (inout ServerConfiguration, Double) -> Void) -> Setting {
        Setting(path: path) { config, value in
            guard let v = Double(value.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw ConfigurationError.invalid("\(path) must be a number, got \"\(value)\"")
            }
            set(&config, v)
        }
    }

    private static func bool(_ path: String, _ set: @escaping @Sendable (inout ServerConfiguration, Bool) -> Void) -> Setting {
        Setting(path: path) { config, value in
            switch value.lowercased().trimmingCharacters(in: .whitespaces) {
            case "true", "yes", "1", "on": set(&config, true)
            case "false", "no", "0", "off": set(&config, false)
            default: throw ConfigurationError.invalid("\(path) must be true or false, got \"\(value)\"")
            }
        }
    }

    /// A byte count: a plain integer or with a unit suffix (KiB, MiB, GiB, TiB, KB, MB, GB).
    private static func bytes(_ path: String, _ set: @escaping @Sendable (inout ServerConfiguration, Int64) -> Void) -> Setting {
        Setting(path: path) { config, value in
            guard let v = ByteCount.parse(value) else {
                throw ConfigurationError.invalid("\(path) must be a byte count such as 1048576 or 20GiB, got \"\(value)\"")
            }
            set(&config, v)
        }
    }
}

/// Parses and prints byte counts such as `20GiB`.
public enum ByteCount {
    public static func parse(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Int64)] = [
            ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
            ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000), ("B", 1),
        ]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            let number = t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard let v = Double(number), v >= 0, v * Double(factor) < 9.2e18 else { return nil }
            return Int64(v * Double(factor))
        }
        guard let v = Int64(t), v >= 0 else { return nil }
        return v
    }

    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var i = 0
        while value >= 1024 && i < units.count - 1 { value /= 1024; i += 1 }
        return i == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[i])
    }
}
