import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// `database.url`: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`.
struct PostgresURL: Sendable, Equatable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var sslMode: String

    init(_ text: String) throws {
        func invalid(_ why: String) -> ConfigurationError {
            ConfigurationError.invalid("database.url: \(why) (expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)")
        }
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("not a postgres:// address")
        }
        guard let host = c.host, !host.isEmpty else { throw invalid("no host") }
        guard let user = c.user, !user.isEmpty else { throw invalid("no user") }
        let name = c.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !name.isEmpty, !name.contains("/") else { throw invalid("no database name") }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = c.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = c.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = name
        let mode = c.queryItems?.first(where: { $0.name == "sslmode" })?.value?.lowercased() ?? "prefer"
        guard ["disable", "prefer", "require"].contains(mode) else { throw invalid("sslmode must be disable, prefer or require") }
        self.sslMode = mode
    }

    /// The address without its password, for logs.
    var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

/// Dates as PostgreSQL's JSON writes `timestamptz` (`2026-12-05T04:33:05.123456+00:00`) and reads it back.
enum PostgresTime {
    static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        var seconds = Int(t.rounded(.down))
        var micros = Int(((t - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    static func parse(_ text: String) -> Date? {
        let s = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard s[i] >= 48 && s[i] <= 57 else { return nil }
                v = v * 10 + Int(s[i] - 48)
            }
            return v
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2) else { return nil }
        var i = 19
        var fraction = 0.0
        if i < s.count && s[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < s.count, s[i] >= 48 && s[i] <= 57 {
                fraction += Double(s[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < s.count && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) {
            let sign = s[i] == UInt8(ascii: "+") ? 1 : -1
            guard let oh = number(i + 1, 2) else { return nil }
            var om = 0
            if i + 3 < s.count { om = number(s[i + 3] == UInt8(ascii: ":") ? i + 4 : i + 3, 2) ?? 0 }
            offset = sign * (oh * 3600 + om * 60)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900); parts.tm_mon = Int32(month - 1); parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour); parts.tm_min = Int32(minute); parts.tm_sec = Int32(second)
        let utc = timegm(&parts)
        return Date(timeIntervalSince1970: Double(utc - offset) + fraction)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(format(date))
        }
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a PostgreSQL timestamp: \(text)")
            }
            return date
        }
        return d
    }()
}

/// A table as the PostgreSQL store writes records into it: its columns (the record's coding keys, quoted as
/// written) without the generated one, and the unique key an upsert replaces on.
struct PostgresTable: Sendable {
    var name: String
    var columns: [String]
    var generated: String?
    var key: [String]

    var columnList: String { columns.map { "\"\($0)\"" }.joined(separator: ", ") }

    static let files = PostgresTable(name: "files", columns: ["id", "tenant", "name", "kind", "source", "size", "sha256",
                                                              "path", "entries", "createdAt"], generated: "seq", key: ["id"])
    static let jobs = PostgresTable(name: "jobs", columns: [
        "id", "tenant", "status", "modelFileId", "corpusFileId", "termsFileId", "heldOutFileId", "baseFileId",
        "calibrationFileId", "optionsJSON", "webhookURL", "webhookSecret", "createdAt", "updatedAt", "startedAt", "endedAt",
        "phase", "epoch", "epochs", "step", "steps", "fraction", "loss", "etaSeconds", "message", "errorCode", "errorMessage",
        "cancelRequested", "attempts", "tokenRegurgitationBefore", "tokenRegurgitationAfter", "spanExtractionBefore",
        "spanExtractionAfter",
        "inputsPurgedAt", "outputsPurgedAt",
    ], generated: "seq", key: ["id"])
    static let events = PostgresTable(name: "events", columns: ["jobId", "at", "type", "status", "phase", "epoch", "step",
                                                                "steps", "fraction", "loss", "etaSeconds", "message"],
                                      generated: "id", key: ["id"])
    static let audits = PostgresTable(name: "audits", columns: ["jobId", "reportJSON", "createdAt"], generated: nil, key: ["jobId"])
    static let artifacts = PostgresTable(name: "artifacts", columns: ["jobId", "name", "size", "sha256", "path"],
                                         generated: nil, key: ["jobId", "name"])
    static let apiKeys = PostgresTable(name: "api_keys", columns: ["hash", "tenant", "admin", "label", "source", "createdAt"],
                                       generated: nil, key: ["hash"])
    static let webhookMessages = PostgresTable(name: "webhook_messages", columns: ["id", "jobId", "url", "eventType", "payload",
                                                                                  "state", "attempts", "nextAttemptAt", "createdAt"],
                                               generated: nil, key: ["id"])
    static let webhookDeliveries = PostgresTable(name: "webhook_deliveries", columns: ["messageId", "jobId", "attempt",
                                                                                      "attemptedAt", "statusCode", "error",
                                                                                      "succeeded", "milliseconds"],
                                                 generated: "id", key: ["id"])
    static let idempotency = PostgresTable(name: "idempotency_keys", columns: ["tenant", "key", "requestHash", "jobId", "createdAt"],
                                           generated: nil, key: ["tenant", "key"])
}

/// Queries of the PostgreSQL store on one connection (inside a transaction or not). Records travel as JSON:
/// `row_to_json` out, `json_populate_record` in, so that a record's columns are its coding keys in both stores.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    /// The rows of `query`, each decoded from its JSON.
    func rows<T: Decodable>(_ type: T.Type, _ query: PostgresQuery) async throws -> [T] {
        try await texts(query).map { try PostgresTime.decoder.decode(T.self, from: Data($0.utf8)) }
    }

    func row<T: Decodable>(_ type: T.Type, _ query: PostgresQuery) async throws -> T? {
        try await rows(type, query).first
    }

    /// Each row of `query` as JSON text.
    func texts(_ query: PostgresQuery) async throws -> [String] {
        var q = query
        q.sql = "SELECT row_to_json(r)::text FROM (\(q.sql)) r"
        var out: [String] = []
        for try await row in try await connection.query(q, logger: logger) {
            out.append(try row.decode(String.self))
        }
        return out
    }

    /// The first column of each row.
    func values<T: PostgresDecodable>(_ type: T.Type, _ query: PostgresQuery) async throws -> [T] {
        var out: [T] = []
        for try await row in try await connection.query(query, logger: logger) {
            out.append(try row.decode(T.self))
        }
        return out
    }

    func execute(_ query: PostgresQuery) async throws {
        for try await _ in try await connection.query(query, logger: logger) {}
    }

    /// Inserts `record`; returns the generated key when the table has one. `upsert`: replaces the row with the
    /// same key.
    @discardableResult
    func insert<T: Encodable>(_ table: PostgresTable, _ record: T, upsert: Bool = false) async throws -> Int64? {
        let json = String(decoding: try PostgresTime.encoder.encode(record), as: UTF8.self)
        let cols = table.columnList
        var sql = "INSERT INTO \(table.name) (\(cols)) SELECT \(cols) FROM json_populate_record(NULL::\(table.name), $1::json)"
        if upsert {
            let key = table.key.map { "\"\($0)\"" }.joined(separator: ", ")
            let set = table.columns.filter { !table.key.contains($0) }.map { "\"\($0)\" = EXCLUDED.\"\($0)\"" }
            sql += set.isEmpty ? " ON CONFLICT (\(key)) DO NOTHING" : " ON CONFLICT (\(key)) DO UPDATE SET " + set.joined(separator: ", ")
        }
        var binds = PostgresBindings()
        binds.append(json)
        if let generated = table.generated {
            sql += " RETURNING \"\(generated)\""
            return try await values(Int64.self, PostgresQuery(unsafeSQL: sql, binds: binds)).first
        }
        try await execute(PostgresQuery(unsafeSQL: sql, binds: binds))
        return nil
    }

    /// Writes every column of `record` to the row whose `id` is `id`.
    func update<T: Encodable>(_ table: PostgresTable, _ record: T, id: String) async throws {
        let json = String(decoding: try PostgresTime.encoder.encode(record), as: UTF8.self)
        let cols = table.columnList
        var binds = PostgresBindings()
        binds.append(json)
        binds.append(id)
        try await execute(PostgresQuery(unsafeSQL: """
            UPDATE \(table.name) SET (\(cols)) = (SELECT \(cols) FROM json_populate_record(NULL::\(table.name), $1::json))
            WHERE "id" = $2
            """, binds: binds))
    }
}

/// Runs async work to completion from synchronous code (the worker threads, the scheduler queue, start-up), on
/// an executor of its own so that a blocked caller never holds a thread the work itself needs.
enum Blocking {
    final class ThreadExecutor: TaskExecutor {
        let queue = DispatchQueue(label: "sani.postgres.blocking", attributes: .concurrent)
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            let executor = asUnownedTaskExecutor()
            queue.async { job.runSynchronously(on: executor) }
        }
    }

    static let executor = ThreadExecutor()

    static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: executor) {
            do { let value = try await work(); result.withLock { $0 = .success(value) } } catch {
                result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}
