import Foundation

/// Where things live under the data folder:
/// `sani.sqlite`, `files/<fileId>/…` (inputs), `uploads/` (uploads in progress), `jobs/<jobId>/{checkpoints,output}`
/// and `jobs/<jobId>/artifacts/` (the files offered for download).
public struct DataLayout: Sendable {
    public let root: URL
    /// When several processes share the data folder (PostgreSQL): this process's own folder under `uploads/`.
    public let uploadSpace: String?

    public init(root: URL, uploadSpace: String? = nil) { self.root = root; self.uploadSpace = uploadSpace }

    public var database: URL { root.appendingPathComponent("sani.sqlite") }
    public var files: URL { root.appendingPathComponent("files", isDirectory: true) }
    public var uploads: URL {
        let all = root.appendingPathComponent("uploads", isDirectory: true)
        return uploadSpace.map { all.appendingPathComponent($0, isDirectory: true) } ?? all
    }
    public var jobs: URL { root.appendingPathComponent("jobs", isDirectory: true) }

    public func fileFolder(_ id: String) -> URL { files.appendingPathComponent(id, isDirectory: true) }
    public func jobFolder(_ id: String) -> URL { jobs.appendingPathComponent(id, isDirectory: true) }
    public func checkpoints(_ id: String) -> URL { jobFolder(id).appendingPathComponent("checkpoints", isDirectory: true) }
    public func output(_ id: String) -> URL { jobFolder(id).appendingPathComponent("output", isDirectory: true) }
    public func artifacts(_ id: String) -> URL { jobFolder(id).appendingPathComponent("artifacts", isDirectory: true) }

    /// A relative path recorded in the database, resolved under the data folder.
    public func resolve(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The path of `url` relative to the data folder.
    public func relative(_ url: URL) -> String {
        let base = root.standardizedFileURL.path
        let full = url.standardizedFileURL.path
        guard full.hasPrefix(base) else { return full }
        return String(full.dropFirst(base.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    /// Creates the folders; removes uploads left half-written by a previous run. In a shared data folder only this
    /// process's uploads folder is new, and other processes' folders untouched for a day are removed (their
    /// process is gone: an upload in progress writes to its file all the time).
    public func prepare() throws {
        let fm = FileManager.default
        for folder in [root, files, jobs] {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        if uploadSpace != nil {
            let all = uploads.deletingLastPathComponent()
            let dayAgo = Date().addingTimeInterval(-24 * 3600)
            for name in (try? fm.contentsOfDirectory(atPath: all.path)) ?? [] {
                let url = all.appendingPathComponent(name)
                let modified = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? nil
                if let modified, modified < dayAgo { try? fm.removeItem(at: url) }
            }
        }
        if fm.fileExists(atPath: uploads.path) { try fm.removeItem(at: uploads) }
        try fm.createDirectory(at: uploads, withIntermediateDirectories: true)
    }

    /// A fresh temporary path for an upload in progress.
    public func newUploadPath() -> URL {
        uploads.appendingPathComponent("upload-\(UUID().uuidString)")
    }
}

/// Removes a file or folder, ignoring "does not exist".
func removeIfPresent(_ url: URL) {
    try? FileManager.default.removeItem(at: url)
}
