import Foundation
import GRDB
import Logging

/// Everything the routes and background tasks share.
final class ServiceComponents: Sendable {
    let configuration: ServerConfiguration
    let layout: DataLayout
    let pool: DatabasePool
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
        layout = DataLayout(root: configuration.dataURL)
        try layout.prepare()
        pool = try ServerDatabase.open(at: layout.database)
        jobs = JobStore(pool: pool)
        files = FileStore(pool: pool, layout: layout)
        keys = APIKeyStore(pool: pool)
        metrics = ServerMetrics()
        try keys.synchronizeConfigured(configuration.apiKeys)
        let keyCount = try keys.count()
        if keyCount == 0 {
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
        recovered = try jobs.recoverInterrupted()
        let removed = try LeftoverSweep(layout: layout, pool: pool).run()
        if !removed.isEmpty {
            logger.info("removed \(removed.count) leftover(s) of an interrupted run: \(removed.prefix(20).joined(separator: ", "))")
        }
        workers = WorkerPool(jobs: jobs, files: files, layout: layout, executor: executor, metrics: metrics, logger: logger,
                             concurrency: configuration.workers, eventInterval: configuration.progressEventIntervalSeconds)
    }

    /// Deletes a finished job: its rows, its work folder, and its input files unless another job still uses them.
    func purgeJob(_ job: JobRecord) async throws {
        try await jobs.deleteRows(job.id)
        removeIfPresent(layout.jobFolder(job.id))
        for id in [job.modelFileId, job.corpusFileId, job.termsFileId, job.heldOutFileId, job.baseFileId].compactMap({ $0 }) {
            guard let file = try files.fileSync(id), try files.users(of: id, exceptJob: job.id).isEmpty else { continue }
            try files.purge(file)
        }
        logger.info("job \(job.id): deleted with its files")
    }
}
