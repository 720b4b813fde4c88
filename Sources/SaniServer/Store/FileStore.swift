import Foundation
import GRDB

/// Input files in the database; the bytes live under `DataLayout.files`.
public final class FileStore: Sendable {
    let backend: StoreBackend
    let layout: DataLayout
    var pool: DatabasePool { backend.sqlite! }

    public convenience init(pool: DatabasePool, layout: DataLayout) { self.init(backend: .sqlite(pool), layout: layout) }
    init(backend: StoreBackend, layout: DataLayout) { self.backend = backend; self.layout = layout }

    func insert(_ file: FileRecord) async throws -> FileRecord {
        if let pg = backend.postgres { return try await pg.insertFile(file) }
        return try await pool.write { db in
            var f = file
            try f.insert(db)
            return f
        }
    }

    func file(_ id: String, tenant: String?) async throws -> FileRecord? {
        if let pg = backend.postgres { return try await pg.file(id, tenant: tenant) }
        return try await pool.read { db in try Self.fetch(db, id, tenant: tenant) }
    }

    func fileSync(_ id: String) throws -> FileRecord? {
        if let pg = backend.postgres { return try Blocking.run { try await pg.file(id, tenant: nil) } }
        return try pool.read { db in try Self.fetch(db, id, tenant: nil) }
    }

    static func fetch(_ db: Database, _ id: String, tenant: String?) throws -> FileRecord? {
        var request = FileRecord.filter(Column("id") == id)
        if let tenant { request = request.filter(Column("tenant") == tenant) }
        return try request.fetchOne(db)
    }

    func list(tenant: String?, before: Int64?, limit: Int) async throws -> [FileRecord] {
        if let pg = backend.postgres { return try await pg.listFiles(tenant: tenant, before: before, limit: limit) }
        return try await pool.read { db in
            var request = FileRecord.all()
            if let tenant { request = request.filter(Column("tenant") == tenant) }
            if let before { request = request.filter(Column("seq") < before) }
            return try request.order(Column("seq").desc).limit(limit).fetchAll(db)
        }
    }

    /// Ids of jobs, other than `exceptJob`, that still use the file and are not purged.
    func users(of fileId: String, exceptJob: String?) throws -> [String] {
        if let pg = backend.postgres { return try pg.fileUsers(of: fileId, exceptJob: exceptJob) }
        return try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT id FROM jobs WHERE (modelFileId = ? OR corpusFileId = ? OR termsFileId = ? OR heldOutFileId = ?
                                           OR baseFileId = ? OR calibrationFileId = ?)
                AND id IS NOT ? AND inputsPurgedAt IS NULL
                """, arguments: [fileId, fileId, fileId, fileId, fileId, fileId, exceptJob])
        }
    }

    /// Removes the file's row and bytes.
    func purge(_ file: FileRecord) throws {
        if let pg = backend.postgres {
            try pg.deleteFile(file.id)
        } else {
            _ = try pool.write { db in try FileRecord.deleteOne(db, key: ["id": file.id]) }
        }
        removeIfPresent(layout.fileFolder(file.id))
    }
}
