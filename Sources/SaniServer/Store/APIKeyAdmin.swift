import Foundation
import Logging

/// Administration of API keys from the command line (`sani serve --add-key TENANT`), safe while a server runs.
public enum APIKeyAdmin {
    public static func addKey(configuration: ServerConfiguration, tenant: String, admin: Bool) throws -> String {
        let layout = DataLayout(root: configuration.dataURL)
        try FileManager.default.createDirectory(at: layout.root, withIntermediateDirectories: true)
        if !configuration.databaseURL.isEmpty {
            let store = try PostgresStore(url: configuration.databaseURL, instance: "add-key", leaseSeconds: configuration.leaseSeconds,
                                          logger: Logger(label: "sani"))
            return try APIKeyStore(backend: .postgres(store)).addKey(tenant: tenant, admin: admin, label: "added with --add-key")
        }
        let pool = try ServerDatabase.open(at: layout.database)
        return try APIKeyStore(pool: pool).addKey(tenant: tenant, admin: admin, label: "added with --add-key")
    }
}
