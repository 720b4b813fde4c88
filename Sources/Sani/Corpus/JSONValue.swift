import Foundation

/// A parsed JSON value, kept exact enough (integers apart from other numbers, booleans apart from numbers)
/// to validate uploaded files field by field with precise messages.
enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    /// Parses one JSON document; the error text says what is wrong in the syntax.
    static func parse(_ data: Data, decoder: JSONDecoder = JSONDecoder()) throws(JSONSyntaxError) -> JSONValue {
        do {
            return try decoder.decode(JSONValue.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw JSONSyntaxError(message: Self.syntaxMessage(context))
        } catch {
            throw JSONSyntaxError(message: "not valid JSON")
        }
    }

    /// What kind of value this is, for messages ("expected a string, found a number").
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    private static func syntaxMessage(_ context: DecodingError.Context) -> String {
        var detail = context.debugDescription
        if let underlying = context.underlyingError {
            let text = (underlying as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                ?? String(describing: underlying)
            if !text.isEmpty { detail = text }
        }
        return detail.isEmpty ? "not valid JSON" : "not valid JSON (\(detail))"
    }
}

/// Why a piece of text is not JSON.
struct JSONSyntaxError: Error {
    var message: String
}
