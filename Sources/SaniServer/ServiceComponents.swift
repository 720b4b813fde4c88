import Foundation
import GRDB
import Logging

/// Everything the routes and background tasks share.
final class ServiceComponents: Sendable {
    let configuration: ServerConfiguration
    let layout: DataLayout
    let backend: StoreBackend
    /// The SQLite database (nil on PostgreSQL).
    var pool: DatabasePool? { backend.sqlite }
    /// This process, as leases and logs name it.
    let instance: String
    let jobs: JobStore
    let files: FileStore
    let keys: APIKeyStore
    let metrics: ServerMetrics
    let workers: WorkerPool
    let logger: Logger
    /// No API key configured and loopback only: every request acts for tenant `default`.
    let openAccess: Bool
    /// Jobs the start-up recovery re-queued, and those left `validating` (validated again once running).
    let recovered: (requeued: [String], revalidate: [String])

    init(configuration: ServerConfiguration, executor: any JobExecutor, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        instance = "\(host)-\(ProcessInfo.processInfo.processIdentifier)-\(Identifier.make("w").suffix(6))"
        if configuration.databaseURL.isEmpty {
            layout = DataLayout(root: configuration.dataURL)
            try layout.prepare()
            backend = .sqlite(try ServerDatabase.open(at: layout.database))
        } else {
            layout = DataLayout(root: configuration.dataURL, uploadSpace: instance)
            try layout.prepare()
            backend = .postgres(try PostgresStore(url: configuration.databaseURL, instance: instance,
                                                  leaseSeconds: configuration.leaseSeconds, logger: logger))
        }
        jobs = JobStore(backend: backend)
        files = FileStore(backend: backend, layout: layout)
        keys = APIKeyStore(backend: backend)
        metrics = ServerMetrics()
        // The keys in the configuration replace the configured ones in the store. A worker answers no request and
        // leaves them alone: with PostgreSQL the API processes own them (give every API process the same keys).
        if configuration.servesHTTP { try keys.synchronizeConfigured(configuration.apiKeys) }
        let keyCount = try keys.count()
        if keyCount == 0 && configuration.servesHTTP {
            guard configuration.isLoopback else {
                throw ConfigurationError.invalid(
                    "no API key is configured and server.host \(configuration.host) is not a loopback address: "
                        + "add keys (auth.keys, SANI_API_KEYS or `sani serve --add-key TENANT`) or listen on 127.0.0.1")
            }
            openAccess = true
        } else {
            openAccess = false
        }
        // Crash recovery, before anything listens or runs: jobs left running go back to the queue (or fail after
        // too many runs), then what the crash left half-written in the data folder is removed.
        if let pg = backend.postgres {
            // Other processes may be running jobs: only expired leases are taken back (here and every poll), and
            // only jobs left validating for a while are checked again.
            recovered = (try pg.recoverExpiredLeases(), configuration.servesHTTP ? try pg.staleValidating(olderThan: 300) : [])
        } else {
            recovered = try jobs.recoverInterrupted()
        }
        let removed = try LeftoverSweep(layout: layout, backend: backend).run()
        if !removed.isEmpty {
            logger.info("removed \(removed.count) leftover(s) of an interrupted run: \(removed.prefix(20).joined(separator: ", "))")
        }
        workers = WorkerPool(jobs: jobs, files: files, layout: layout, executor: executor, metrics: metrics, logger: logger,
                             concurrency: configuration.runsJobs ? configuration.workers : 0,
                             eventInterval: configuration.progressEventIntervalSeconds)
    }

    /// Deletes a finished job: its rows, its work folder, and its input files unless another job still uses them.
    func purgeJob(_ job: JobRecord) async throws {
        try await jobs.deleteRows(job.id)
        removeIfPresent(layout.jobFolder(job.id))
        for id in [job.modelFileId, job.corpusFileId, job.termsFileId, job.heldOutFileId, job.baseFileId,
                   job.calibrationFileId].compactMap({ $0 }) {
            guard let file = try files.fileSync(id), try files.users(of: id, exceptJob: job.id).isEmpty else { continue }
            try files.purge(file)
        }
        logger.info("job \(job.id): deleted with its files")
    }
}
