import ArgumentParser
import Foundation
import SaniEngine
import SaniServer

/// `sani serve`: the HTTP service. Runs with no configuration at all (127.0.0.1:8080, ./data, 1 worker).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the sanitization service (HTTP API, job queue, dashboard).",
        discussion: """
            Settings come from, later ones winning: built-in defaults, --config FILE (YAML, see config/sani.yaml), \
            SANI_* environment variables (SANI_SERVER_PORT, SANI_STORAGE_DATA_DIRECTORY, SANI_API_KEYS=tenant:key,...), \
            then these flags.
            """)

    @Option(help: "YAML configuration file (config/sani.yaml documents every setting).") var config: String?
    @Option(help: "Address to listen on (server.host).") var host: String?
    @Option(help: "Port to listen on (server.port; 0 picks a free port).") var port: Int?
    @Option(help: "Data folder (storage.dataDirectory).") var data: String?
    @Option(help: "Jobs trained at the same time (workers.concurrency).") var workers: Int?
    @Option(help: "all (API and jobs, the default), api (HTTP API only) or worker (runs jobs, no HTTP); api and worker need database.url (PostgreSQL) and a data folder shared by every process (server.role).")
    var role: String?
    @Option(help: "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE to keep jobs in PostgreSQL instead of SQLite in the data folder (database.url).")
    var database: String?
    @Option(name: .customLong("set"), help: "Any setting as path=value, e.g. --set uploads.maxBytes=5GiB (repeatable).")
    var settings: [String] = []
    @Option(help: "Create an API key for this tenant, print it once, and exit.") var addKey: String?
    @Flag(help: "With --add-key: the key sees every tenant's jobs on the dashboard.") var admin = false
    @Flag(help: "Print the effective configuration and exit.") var printConfig = false

    func run() throws {
        var overrides: [(String, String)] = []
        if let host { overrides.append(("server.host", host)) }
        if let port { overrides.append(("server.port", String(port))) }
        if let data { overrides.append(("storage.dataDirectory", data)) }
        if let workers { overrides.append(("workers.concurrency", String(workers))) }
        if let role { overrides.append(("server.role", role)) }
        if let database { overrides.append(("database.url", database)) }
        for s in settings {
            guard let eq = s.firstIndex(of: "=") else { throw ValidationError("--set expects path=value, got \(s)") }
            overrides.append((String(s[..<eq]), String(s[s.index(after: eq)...])))
        }
        let configuration = try ConfigurationLoader.load(file: config.map { URL(fileURLWithPath: $0) },
                                                         environment: ProcessInfo.processInfo.environment, overrides: overrides)
        if printConfig {
            for setting in SettingCatalog.all { print("\(setting.path) (\(setting.environmentVariable))") }
            print(configuration.redacted)
            return
        }
        if let tenant = addKey {
            let key = try APIKeyAdmin.addKey(configuration: configuration, tenant: tenant, admin: admin)
            print(key)
            let place = configuration.databaseURL.isEmpty ? "\(configuration.dataURL.path)/sani.sqlite" : "the PostgreSQL database"
            FileHandle.standardError.write(Data("API key for tenant \(tenant) stored (hashed) in \(place); it is shown only now.\n".utf8))
            return
        }
        // Before the server starts a thread: OpenBLAS's workers (the only other threads now) run at the jobs'
        // lower priority, so that the threads answering requests win a busy core (RELIABILITY.md, Load).
        JobThread.lowerStartupThreads()
        // The engine's kernel threads, started at the first job, run at the same lower priority.
        Parallel.kernelNiceness = JobThread.niceness
        ServerLogging.bootstrap(level: configuration.logLevel)
        let service = try SanitizationService(configuration: configuration)
        try AsyncBridge.run { try await service.run() }
    }
}
