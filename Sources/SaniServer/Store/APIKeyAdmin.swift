import Foundation

/// Administration of API keys from the command line (`sani serve --add-key TENANT`), safe while a server runs.
public enum APIKeyAdmin {
    public static func addKey(configuration: ServerConfiguration, tenant: String, admin: Bool) throws -> String {
        let layout = DataLayout(root: configuration.dataURL)
        try FileManager.default.createDirectory(at: layout.root, withIntermediateDirectories: true)
        let pool = try ServerDatabase.open(at: layout.database)
        return try APIKeyStore(pool: pool).addKey(tenant: tenant, admin: admin, label: "added with --add-key")
    }
}
