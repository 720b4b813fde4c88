import Foundation
import Logging

/// On PostgreSQL, in every process that runs jobs: renews the leases of this process's running jobs, stops a job
/// whose lease another worker took over (it must not write anything more) or whose client asked to cancel it,
/// takes back the jobs of workers whose leases ran out, and looks for queued jobs (other processes queue them).
struct LeaseKeeper {
    let store: PostgresStore
    let workers: WorkerPool
    let configuration: ServerConfiguration
    let logger: Logger

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
            do {
                let (lost, cancel) = try store.renewLeases(workers.runningIds)
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
