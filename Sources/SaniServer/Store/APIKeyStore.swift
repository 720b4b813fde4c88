import Foundation
import GRDB

/// Who is calling: the tenant of the API key, and whether the key may see every tenant's jobs on the dashboard.
public struct Caller: Sendable, Equatable {
    public var tenant: String
    public var admin: Bool
}

/// API keys, stored as SHA-256 hashes and each scoped to a tenant.
public final class APIKeyStore: Sendable {
    let backend: StoreBackend
    var pool: DatabasePool { backend.sqlite! }

    public convenience init(pool: DatabasePool) { self.init(backend: .sqlite(pool)) }
    init(backend: StoreBackend) { self.backend = backend }

    /// Replaces the keys that came from the configuration by `keys` (keys added with `--add-key` stay).
    func synchronizeConfigured(_ keys: [ConfiguredAPIKey]) throws {
        if let pg = backend.postgres { return try pg.synchronizeConfigured(keys) }
        return try pool.write { db in
            try db.execute(sql: "DELETE FROM api_keys WHERE source = 'config'")
            for (i, key) in keys.enumerated() {
                try APIKeyRecord(hash: key.hash, tenant: key.tenant, admin: key.admin, label: "config #\(i + 1)",
                                 source: "config", createdAt: Date()).insert(db, onConflict: .replace)
            }
        }
    }

    /// Creates a new key for `tenant`, stores its hash and returns the key (shown once).
    public func addKey(tenant: String, admin: Bool, label: String) throws -> String {
        guard TenantName.isValid(tenant) else {
            throw ConfigurationError.invalid("tenant \"\(tenant)\" must be 1-64 characters of a-z, A-Z, 0-9, '-', '_', '.'")
        }
        let key = APIKeyHasher.newKey()
        let record = APIKeyRecord(hash: APIKeyHasher.hash(key), tenant: tenant, admin: admin, label: label, source: "cli",
                                  createdAt: Date())
        if let pg = backend.postgres {
            try pg.addKey(record)
        } else {
            try pool.write { db in try record.insert(db) }
        }
        return key
    }

    public func count() throws -> Int {
        if let pg = backend.postgres { return try pg.keyCount() }
        return try pool.read { db in try APIKeyRecord.fetchCount(db) }
    }

    func caller(forKey key: String) async throws -> Caller? {
        let hash = APIKeyHasher.hash(key)
        if let pg = backend.postgres { return try await pg.key(hash: hash).map { Caller(tenant: $0.tenant, admin: $0.admin) } }
        return try await pool.read { db in
            try APIKeyRecord.fetchOne(db, key: hash).map { Caller(tenant: $0.tenant, admin: $0.admin) }
        }
    }
}
