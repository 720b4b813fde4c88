import Foundation
import Logging
import Sani
import Synchronization

/// Why a running job is being stopped.
enum StopReason: Sendable {
    /// The client cancelled it: it ends `cancelled`.
    case user
    /// The server is shutting down: it goes back to `queued` and resumes from its checkpoint at the next start.
    case shutdown
    /// Tests simulate a crash: the worker's outcome is not written at all.
    case abandon
}

/// A flag the executor's `isCancelled` closure reads between training steps.
final class StopFlag: Sendable {
    private let reason = Mutex<StopReason?>(nil)
    func stop(_ r: StopReason) { reason.withLock { if $0 == nil || r == .abandon { $0 = r } } }
    var current: StopReason? { reason.withLock { $0 } }
}

/// Runs jobs on Dispatch threads, at most `concurrency` at a time, so that training never blocks the HTTP side.
/// Validation runs on its own queue so a new job is checked at once even while others train.
final class WorkerPool: Sendable {
    private let jobs: JobStore
    private let files: FileStore
    private let layout: DataLayout
    private let executor: any JobExecutor
    private let metrics: ServerMetrics
    private let logger: Logger
    private let concurrency: Int
    private let eventInterval: TimeInterval
    private let workQueue = DispatchQueue(label: "sani.workers", qos: .utility, attributes: .concurrent)
    private let validationQueue = DispatchQueue(label: "sani.validation", qos: .userInitiated, attributes: .concurrent)
    private let schedulerQueue = DispatchQueue(label: "sani.scheduler")
    private let group = DispatchGroup()
    private let state = Mutex<(running: [String: StopFlag], stopping: Bool)>(([:], false))

    init(jobs: JobStore, files: FileStore, layout: DataLayout, executor: any JobExecutor, metrics: ServerMetrics,
         logger: Logger, concurrency: Int, eventInterval: TimeInterval) {
        self.jobs = jobs; self.files = files; self.layout = layout; self.executor = executor; self.metrics = metrics
        self.logger = logger; self.concurrency = concurrency; self.eventInterval = eventInterval
    }

    // MARK: validation

    /// Checks the inputs of a `validating` job off the request path, then queues or fails it.
    func validate(_ jobId: String) {
        group.enter()
        validationQueue.async {
            defer { self.group.leave() }
            self.runValidation(jobId)
            self.kick()
        }
    }

    private func runValidation(_ jobId: String) {
        do {
            guard let job = try jobs.jobSync(jobId), job.status == .validating else { return }
            let (inputs, options) = try prepare(job)
            do {
                try executor.validate(inputs: inputs, options: options)
                try jobs.transition(jobId, to: .queued, from: [.validating], message: "inputs are valid; queued")
            } catch {
                let reason = FailureReason.from(error)
                try jobs.transition(jobId, to: .failed, from: [.validating], message: "validation failed: \(reason.message)",
                                    error: reason)
            }
        } catch {
            logger.error("validation of \(jobId): \(error)")
            let reason = (error as? APIError).map { ($0.code, $0.message) } ?? FailureReason.from(error)
            _ = try? jobs.transition(jobId, to: .failed, from: [.validating], message: "validation failed: \(reason.1)",
                                     error: (reason.0, reason.1))
        }
    }

    /// The method's inputs for a job: its files on disk and its work folders.
    func prepare(_ job: JobRecord) throws -> (SanitizationInputs, SanitizationOptions) {
        let options = try JSONDecoder().decode(SanitizationOptions.self, from: Data(job.optionsJSON.utf8))
        func path(_ id: String, role: String) throws -> URL {
            guard let file = try files.fileSync(id) else {
                throw APIError(.badRequest, "missing_input", "the \(role) file \(id) no longer exists (deleted or purged)")
            }
            return layout.resolve(file.path)
        }
        let inputs = SanitizationInputs(model: try path(job.modelFileId, role: "model"),
                                        corpus: try path(job.corpusFileId, role: "corpus"),
                                        terms: try job.termsFileId.map { try path($0, role: "terms") },
                                        heldOut: try job.heldOutFileId.map { try path($0, role: "held-out notes") },
                                        base: try job.baseFileId.map { try path($0, role: "base model") },
                                        output: layout.output(job.id), checkpoints: layout.checkpoints(job.id),
                                        calibration: try job.calibrationFileId.map { try path($0, role: "calibration notes") })
        return (inputs, options)
    }

    // MARK: scheduling

    /// Starts queued jobs while there are free workers.
    func kick() {
        schedulerQueue.async { self.fillSlots() }
    }

    private func fillSlots() {
        while true {
            let (running, stopping) = state.withLock { ($0.running, $0.stopping) }
            guard !stopping, running.count < concurrency else { return }
            let job: JobRecord?
            do { job = try jobs.claimNextQueued(excluding: Set(running.keys)) } catch {
                logger.error("claiming a queued job: \(error)")
                return
            }
            guard let job else { return }
            let flag = StopFlag()
            state.withLock { $0.running[job.id] = flag }
            // A cancel that arrived between the claim and the flag's registration found no flag to set.
            if (try? jobs.jobSync(job.id))?.cancelRequested == true { flag.stop(.user) }
            metrics.runningJobs.set(Double(running.count + 1))
            group.enter()
            // A job runs on a thread of its own, at a lower scheduling priority, not on a thread of the shared
            // dispatch pool: minutes of training on a pool thread leave fewer threads to the HTTP handlers and
            // the store, and their latency grows with the training's (scripts/load.sh measures both).
            JobThread.start(name: "sani-job") {
                defer {
                    self.state.withLock { _ = $0.running.removeValue(forKey: job.id) }
                    self.metrics.runningJobs.set(Double(self.state.withLock { $0.running.count }))
                    self.metrics.setTokensPerSecond(job: job.id, nil)
                    self.group.leave()
                    self.kick()
                }
                self.execute(job, flag: flag)
            }
        }
    }

    // MARK: running

    private func execute(_ job: JobRecord, flag: StopFlag) {
        logger.info("job \(job.id): started (attempt \(job.attempts))")
        let inputs: SanitizationInputs
        let options: SanitizationOptions
        do { (inputs, options) = try prepare(job) } catch {
            let reason = (error as? APIError).map { ($0.code, $0.message) } ?? FailureReason.from(error)
            _ = try? jobs.transition(job.id, to: .failed, from: [.running], message: reason.1, error: (reason.0, reason.1))
            return
        }
        try? FileManager.default.createDirectory(at: layout.jobFolder(job.id), withIntermediateDirectories: true)
        // What an earlier run of this job wrote of its outputs before it was cut is written again from the
        // checkpoint: nothing of it may end up among the artifacts (a temporary file of an unfinished write would).
        removeIfPresent(layout.output(job.id))
        removeIfPresent(layout.artifacts(job.id))
        let throttle = Mutex(ProgressThrottle(eventInterval: eventInterval,
                                              tokensPerStep: options.batchSize * options.sequenceLength))
        let jobs = self.jobs
        let metrics = self.metrics
        let logger = self.logger
        let progress: @Sendable (SanitizationProgress) -> Void = { p in
            guard flag.current != .abandon else { return }
            let (decision, rate) = throttle.withLock { t in (t.admit(p), t.tokensPerSecond) }
            metrics.setTokensPerSecond(job: job.id, rate)
            guard decision.row else { return }
            do { try jobs.recordProgress(job.id, p, asEvent: decision.event) } catch {
                logger.error("job \(job.id): recording progress: \(error)")
            }
        }
        do {
            let outcome = try executor.run(inputs: inputs, options: options, progress: progress,
                                          isCancelled: { flag.current != nil })
            guard flag.current != .abandon else { return }
            let artifacts: [ArtifactRecord]
            do { artifacts = try ArtifactBuilder(layout: layout).build(jobId: job.id) } catch {
                throw StorageFull.matches(error) ? JobFailure.storageFull("writing the artifacts") : error
            }
            try jobs.saveResult(job.id, outcome: outcome, artifacts: artifacts)
            removeIfPresent(layout.checkpoints(job.id))
            logger.info("job \(job.id): succeeded")
        } catch {
            let stop = flag.current
            if stop == .abandon { return }
            let cancelled = (error as? SaniError) == .cancelled
            if cancelled && stop == .shutdown {
                _ = try? jobs.transition(job.id, to: .queued, from: [.running],
                                         message: "interrupted by a server shutdown; resumes from its last checkpoint at the next start")
                logger.info("job \(job.id): interrupted by shutdown, re-queued")
            } else if cancelled {
                _ = try? jobs.transition(job.id, to: .cancelled, from: [.running], message: "cancelled")
                discardWork(job.id)
                logger.info("job \(job.id): cancelled")
            } else {
                let reason = FailureReason.from(error)
                // A job that failed keeps nothing of its work; removing it first also gives back the space a full
                // disk needs to record the failure.
                discardWork(job.id)
                recordFailure(job.id, reason)
                logger.warning("job \(job.id): failed: \(reason.message) (\(error))")
            }
        }
    }

    /// Records a running job's failure. When the database cannot take it at once (a full disk), tries again for a
    /// while: a job whose failure is never recorded would show `running` until the next restart.
    private func recordFailure(_ jobId: String, _ reason: (code: String, message: String)) {
        for attempt in 0..<30 {
            do {
                try jobs.transition(jobId, to: .failed, from: [.running], message: "failed: \(reason.message)", error: reason)
                return
            } catch {
                if attempt == 0 { logger.error("job \(jobId): recording its failure: \(error); trying again") }
                Thread.sleep(forTimeInterval: 2)
            }
        }
        logger.error("job \(jobId): its failure could not be recorded; it is re-queued at the next start")
    }

    /// Removes the checkpoints, sanitized folder and artifacts of a job that ended without succeeding.
    private func discardWork(_ jobId: String) {
        removeIfPresent(layout.checkpoints(jobId))
        removeIfPresent(layout.output(jobId))
        removeIfPresent(layout.artifacts(jobId))
    }

    // MARK: stopping

    /// Asks a running job to stop; false when it is not running here.
    @discardableResult
    func stop(_ jobId: String, reason: StopReason) -> Bool {
        guard let flag = state.withLock({ $0.running[jobId] }) else { return false }
        flag.stop(reason)
        return true
    }

    func isRunning(_ jobId: String) -> Bool { state.withLock { $0.running[jobId] != nil } }

    /// The ids of the jobs running in this process.
    var runningIds: [String] { state.withLock { Array($0.running.keys) } }

    /// Stops taking jobs, stops the running ones (`shutdown` re-queues them) and waits for the workers.
    func shutdown(reason: StopReason, timeout: TimeInterval = 60) {
        let flags = state.withLock { s -> [StopFlag] in
            s.stopping = true
            return Array(s.running.values)
        }
        for f in flags { f.stop(reason) }
        if reason == .abandon { return }
        _ = group.wait(timeout: .now() + timeout)
    }
}
