import Foundation
import GRDB
import Sani

/// At start-up, before the server listens or runs a job, removes what a crash (kill -9, power loss) can leave in
/// the data folder besides `uploads/` (which `DataLayout.prepare` empties):
/// - a `files/<id>` folder without its row (the crash came between moving an upload into place and recording it);
/// - a `jobs/<id>` folder without its job (the crash came while the job was being deleted);
/// - the checkpoints of ended jobs (a crash between recording the outcome and removing them);
/// - the sanitized folder and artifacts of a job that did not succeed (a run cut while writing them writes them
///   again from its checkpoint);
/// - in the checkpoint folder of a job that will run again, the files its `state.json` does not name (a
///   checkpoint write the crash cut);
/// - temporary files in a succeeded job's folders.
///
/// In a data folder shared by several processes (PostgreSQL), another process may be in the middle of any of
/// these: there the sweep only removes what no live process can be writing — folders without a row that are an
/// hour old, and the checkpoints and unfinished outputs of ended jobs.
struct LeftoverSweep {
    let layout: DataLayout
    let backend: StoreBackend

    /// Returns the removed paths, relative to the data folder.
    @discardableResult
    func run() throws -> [String] {
        let jobs: [JobRecord]
        let fileIds: Set<String>
        if let pg = backend.postgres {
            jobs = try pg.allJobs()
            fileIds = Set(try pg.allFileIds())
        } else {
            (jobs, fileIds) = try backend.sqlite!.read { db in
                (try JobRecord.fetchAll(db), Set(try String.fetchAll(db, sql: "SELECT id FROM files")))
            }
        }
        let shared = backend.isShared
        let hourAgo = Date().addingTimeInterval(-3600)
        func old(_ url: URL) -> Bool {
            guard shared else { return true }
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? nil
            return modified.map { $0 < hourAgo } ?? false
        }
        let fm = FileManager.default
        var removed: [String] = []
        func entries(_ url: URL) -> [String] { ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }
        func remove(_ url: URL) {
            guard fm.fileExists(atPath: url.path) else { return }
            removed.append(layout.relative(url))
            removeIfPresent(url)
        }
        for name in entries(layout.files) where !fileIds.contains(name) && old(layout.fileFolder(name)) {
            remove(layout.fileFolder(name))
        }
        let byId = Dictionary(jobs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for name in entries(layout.jobs) {
            guard let job = byId[name] else {
                if old(layout.jobFolder(name)) { remove(layout.jobFolder(name)) }
                continue
            }
            // A job another process may be running or about to run: its worker tidies it when it starts.
            if shared && !job.status.isFinal { continue }
            let checkpoints = layout.checkpoints(job.id)
            if job.status.isFinal {
                remove(checkpoints)
            } else {
                let before = entries(checkpoints)
                Sanitizer.tidyCheckpoints(folder: checkpoints)
                let after = Set(entries(checkpoints))
                removed += before.filter { !after.contains($0) }.map { layout.relative(checkpoints.appendingPathComponent($0)) }
            }
            if job.status == .succeeded {
                for folder in [layout.output(job.id), layout.artifacts(job.id)] {
                    for entry in entries(folder) where Self.isTemporary(entry) {
                        remove(folder.appendingPathComponent(entry))
                    }
                }
            } else {
                remove(layout.output(job.id))
                remove(layout.artifacts(job.id))
            }
        }
        return removed
    }

    /// Names of the temporary files of atomic writes (`.NAME.UUID.tmp`, `.NAME.XXXXXX`).
    static func isTemporary(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".tmp")
    }
}
