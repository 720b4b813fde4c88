import HTTPTypes
import Foundation
import Hummingbird
import Sani

/// Reads a JSON request body with a size limit and decodes it, refusing fields the type does not know.
enum StrictJSON {
    static func body(_ request: Request, limit: Int) async throws -> Data {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "too_large", "the JSON body exceeds \(limit) bytes (server.maxJSONBodyBytes)")
        }
        return Data(buffer: buffer)
    }

    /// Decodes `T` after checking the keys of the top-level object (and of nested objects in `nested`).
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, allowed: Set<String>,
                                     nested: [String: Set<String>] = [:]) throws -> T {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw APIError.badRequest("the body is not valid JSON", code: "invalid_json")
        }
        guard let dict = object as? [String: Any] else {
            throw APIError.badRequest("the body must be a JSON object", code: "invalid_json")
        }
        if let path = firstNull(in: dict, at: nil) {
            throw APIError.badRequest("\(path) is null; leave the field out to use its default", code: "invalid_json")
        }
        try checkKeys(dict, allowed: allowed, at: nil)
        for (field, keys) in nested {
            if let inner = dict[field] as? [String: Any] { try checkKeys(inner, allowed: keys, at: field) }
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch let e as DecodingError {
            if case let .dataCorrupted(ctx) = e, let underlying = ctx.underlyingError { throw underlying }
            throw APIError.badRequest(DecodingErrorText.describe(e), code: "invalid_json")
        } catch let e as SaniError {
            throw APIError.badRequest(e.description, code: "invalid_options")
        }
    }

    /// The path of the first null value in the body: no field of a request is nullable (absent means default).
    private static func firstNull(in value: Any, at path: String?) -> String? {
        if value is NSNull { return path ?? "the body" }
        if let object = value as? [String: Any] {
            for key in object.keys.sorted() {
                if let found = firstNull(in: object[key] as Any, at: path.map { "\($0).\(key)" } ?? key) { return found }
            }
        } else if let array = value as? [Any] {
            for (i, item) in array.enumerated() {
                if let found = firstNull(in: item, at: "\(path ?? "")[\(i)]") { return found }
            }
        }
        return nil
    }

    private static func checkKeys(_ dict: [String: Any], allowed: Set<String>, at: String?) throws {
        if let unknown = dict.keys.sorted().first(where: { !allowed.contains($0) }) {
            let name = at.map { "\($0).\(unknown)" } ?? unknown
            throw APIError.badRequest("unknown field \"\(name)\" (known: \(allowed.sorted().joined(separator: ", ")))",
                                      code: "unknown_field")
        }
    }
}
