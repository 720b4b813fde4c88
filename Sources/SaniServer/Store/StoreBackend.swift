import Foundation
import GRDB

/// Where the server keeps its records: SQLite in the data folder (the default, one process), or PostgreSQL
/// (`database.url`), shared by several processes.
enum StoreBackend: Sendable {
    case sqlite(DatabasePool)
    case postgres(PostgresStore)

    var sqlite: DatabasePool? { if case let .sqlite(pool) = self { return pool } else { return nil } }
    var postgres: PostgresStore? { if case let .postgres(store) = self { return store } else { return nil } }
    var isShared: Bool { postgres != nil }
}
