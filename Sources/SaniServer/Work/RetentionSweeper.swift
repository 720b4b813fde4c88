import Foundation
import GRDB
import Logging

/// Purges, in the background, the inputs of jobs that ended more than `retention.inputsAfterSeconds` ago (and
/// uploads no job uses), and the outputs after `retention.outputsAfterSeconds` (0 keeps them).
struct RetentionSweeper {
    let service: ServiceComponents

    func run() async {
        while !Task.isCancelled {
            sweep()
            do { try await Task.sleep(for: .seconds(service.configuration.retentionSweepSeconds)) } catch { return }
        }
    }

    func sweep(now: Date = Date()) {
        let c = service.configuration
        do {
            let inputsBefore = c.inputRetentionSeconds > 0 ? now.addingTimeInterval(-c.inputRetentionSeconds) : nil
            let outputsBefore = c.outputRetentionSeconds > 0 ? now.addingTimeInterval(-c.outputRetentionSeconds) : nil
            let due = try service.jobs.jobsToPurge(inputsBefore: inputsBefore, outputsBefore: outputsBefore)
            for job in due.inputs {
                try service.jobs.markPurged(job.id, inputs: true, outputs: false)
                removeIfPresent(service.layout.checkpoints(job.id))
                for id in [job.modelFileId, job.corpusFileId, job.termsFileId, job.heldOutFileId, job.baseFileId,
                           job.calibrationFileId].compactMap({ $0 }) {
                    if let file = try service.files.fileSync(id), try service.files.users(of: id, exceptJob: job.id).isEmpty {
                        try service.files.purge(file)
                    }
                }
                service.logger.info("retention: purged the inputs of job \(job.id)")
            }
            for job in due.outputs {
                try service.jobs.markPurged(job.id, inputs: false, outputs: true)
                removeIfPresent(service.layout.output(job.id))
                removeIfPresent(service.layout.artifacts(job.id))
                service.logger.info("retention: purged the outputs of job \(job.id)")
            }
            if let inputsBefore {
                let orphans = try service.backend.postgres?.unusedFiles(createdBefore: inputsBefore) ?? service.backend.sqlite!.read { db in
                    try FileRecord.fetchAll(db, sql: """
                        SELECT * FROM files WHERE createdAt < ? AND id NOT IN
                        (SELECT modelFileId FROM jobs UNION SELECT corpusFileId FROM jobs
                         UNION SELECT termsFileId FROM jobs WHERE termsFileId IS NOT NULL
                         UNION SELECT heldOutFileId FROM jobs WHERE heldOutFileId IS NOT NULL
                         UNION SELECT baseFileId FROM jobs WHERE baseFileId IS NOT NULL
                         UNION SELECT calibrationFileId FROM jobs WHERE calibrationFileId IS NOT NULL)
                        """, arguments: [inputsBefore])
                }
                for file in orphans {
                    try service.files.purge(file)
                    service.logger.info("retention: purged unused upload \(file.id)")
                }
            }
        } catch {
            service.logger.error("retention sweep: \(error)")
        }
    }
}
