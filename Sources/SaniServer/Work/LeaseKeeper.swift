import Foundation
import Logging
import Synchronization

/// On PostgreSQL, in every process that runs jobs: renews the leases of this process's running jobs, stops a job
/// whose lease another worker took over (it must not write anything more) or whose client asked to cancel it,
/// takes back the jobs of workers whose leases ran out, and looks for queued jobs (other processes queue them).
final class LeaseKeeper: Sendable {
    let store: PostgresStore
    let workers: WorkerPool
    let configuration: ServerConfiguration
    let logger: Logger
    /// When this process last renewed its leases.
    private let renewed = Mutex(Date())

    init(store: PostgresStore, workers: WorkerPool, configuration: ServerConfiguration, logger: Logger) {
        self.store = store; self.workers = workers; self.configuration = configuration; self.logger = logger
    }

    func run() async {
        let renewEvery = configuration.leaseSeconds / 3
        var lastRenewal = Date.distantPast
        while !Task.isCancelled {
            let renew = Date().timeIntervalSince(lastRenewal) >= renewEvery
            if renew { lastRenewal = Date() }
            await offThread { self.tick(renew: renew) }
            do { try await Task.sleep(for: .seconds(configuration.pollSeconds)) } catch { return }
        }
    }

    func tick(renew: Bool) {
        if renew {
            // Cut from the database for most of a lease: other workers may take these jobs any moment now, so they
            // stop here first (without writing), rather than go on writing checkpoints into a folder another
            // worker is about to use.
            let since = Date().timeIntervalSince(renewed.withLock { $0 })
            if since > configuration.leaseSeconds * 0.8 {
                for id in workers.runningIds {
                    logger.error("job \(id): no lease renewal for \(Int(since)) s (database unreachable?); stopping it here, another worker resumes it")
                    workers.stop(id, reason: .abandon)
                }
            }
            do {
                let (lost, cancel) = try store.renewLeases(workers.runningIds)
                renewed.withLock { $0 = Date() }
                for id in lost {
                    logger.warning("job \(id): this worker's lease ran out and another worker took the job; stopping it here without writing")
                    workers.stop(id, reason: .abandon)
                }
                for id in cancel { workers.stop(id, reason: .user) }
            } catch {
                logger.error("renewing leases: \(PostgresStore.describe(error))")
            }
            do {
                let requeued = try store.recoverExpiredLeases()
                if !requeued.isEmpty {
                    logger.info("re-queued \(requeued.count) job(s) whose worker stopped renewing its lease: \(requeued.joined(separator: ", "))")
                }
            } catch {
                logger.error("taking back expired leases: \(PostgresStore.describe(error))")
            }
        }
        workers.kick()
    }

    private func offThread(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global(qos: .utility).async {
                work()
                done.resume()
            }
        }
    }
}
