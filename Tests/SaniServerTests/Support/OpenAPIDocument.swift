import Foundation
import Yams

/// `openapi.yaml` loaded for the tests: its operations, and the schema of each response.
struct OpenAPIDocument {
    let root: [String: Any]

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static func load() throws -> OpenAPIDocument {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { throw CocoaError(.fileReadCorruptFile) }
        return OpenAPIDocument(root: root)
    }

    var paths: [String: [String: Any]] { (root["paths"] as? [String: Any] ?? [:]).compactMapValues { $0 as? [String: Any] } }

    /// Every "METHOD /path/{param}" the document declares.
    var operations: Set<String> {
        var out = Set<String>()
        for (path, item) in paths {
            for method in ["get", "put", "post", "delete", "patch", "head"] where item[method] != nil {
                out.insert("\(method.uppercased()) \(path)")
            }
        }
        return out
    }

    /// The template that a concrete path matches (`/v1/jobs/job_x/events` -> `/v1/jobs/{jobId}/events`).
    func template(for concretePath: String) -> String? {
        let path = concretePath.split(separator: "?", maxSplits: 1).first.map(String.init) ?? concretePath
        let parts = path.split(separator: "/").map(String.init)
        let candidates = paths.keys.filter { template in
            let t = template.split(separator: "/").map(String.init)
            guard t.count == parts.count else { return false }
            return zip(t, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
        // Prefer the most literal template (`/v1/files/fetch` over `/v1/files/{fileId}`).
        return candidates.max { a, b in a.filter { $0 == "{" }.count > b.filter { $0 == "{" }.count }
    }

    /// The response object for an operation and status, if declared.
    func response(method: String, template: String, status: Int) -> [String: Any]? {
        guard let op = paths[template]?[method.lowercased()] as? [String: Any],
              let responses = op["responses"] as? [String: Any],
              var response = (responses[String(status)] ?? responses["default"]) as? [String: Any] else { return nil }
        if let ref = response["$ref"] as? String { response = resolve(ref) ?? [:] }
        return response
    }

    func jsonSchema(ofResponse response: [String: Any]) -> [String: Any]? {
        guard let content = response["content"] as? [String: Any],
              let media = content["application/json"] as? [String: Any] else { return nil }
        return media["schema"] as? [String: Any]
    }

    func resolve(_ ref: String) -> [String: Any]? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let dict = node as? [String: Any], let next = dict[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }
}

/// A JSON value decoded strictly (booleans and numbers stay apart on every platform).
indirect enum JSONValue: Decodable, CustomStringConvertible {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .integer(let i): return "\(i)"
        case .number(let d): return "\(d)"
        case .string(let s): return s
        case .array(let a): return "[\(a.count) items]"
        case .object: return "{object}"
        }
    }
}

/// Validates JSON values against the subset of JSON Schema the document uses: $ref, type, required, properties,
/// additionalProperties (false or a schema), enum, items, minimum, maxLength/minLength.
struct JSONSchemaValidator {
    let document: OpenAPIDocument

    func validate(_ value: JSONValue, against schema: [String: Any], at path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let target = document.resolve(ref) else { return ["\(path): unresolved \(ref)"] }
            return validate(value, against: target, at: path)
        }
        var errors: [String] = []
        if let type = schema["type"] as? String, !matches(value, type: type) {
            return ["\(path): expected \(type), got \(value)"]
        }
        if let options = schema["enum"] as? [Any] {
            if !options.contains(where: { "\($0)" == value.description }) { errors.append("\(path): \(value) not in \(options)") }
        }
        let minimum = (schema["minimum"] as? Int).map(Double.init) ?? schema["minimum"] as? Double
        if let minimum {
            switch value {
            case .integer(let i) where Double(i) < minimum: errors.append("\(path): \(i) < minimum \(minimum)")
            case .number(let d) where d < minimum: errors.append("\(path): \(d) < minimum \(minimum)")
            default: break
            }
        }
        switch value {
        case .string(let s):
            if let m = schema["minLength"] as? Int, s.count < m { errors.append("\(path): shorter than \(m)") }
            if let m = schema["maxLength"] as? Int, s.count > m { errors.append("\(path): longer than \(m)") }
        case .object(let object):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                errors.append("\(path): missing required \"\(key)\"")
            }
            for (key, child) in object {
                if let propertySchema = properties[key] as? [String: Any] {
                    errors += validate(child, against: propertySchema, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] {
                    if let allowed = additional as? Bool, !allowed {
                        errors.append("\(path): unexpected property \"\(key)\"")
                    } else if let additionalSchema = additional as? [String: Any] {
                        errors += validate(child, against: additionalSchema, at: "\(path).\(key)")
                    }
                }
            }
        case .array(let array):
            if let items = schema["items"] as? [String: Any] {
                for (i, item) in array.enumerated() { errors += validate(item, against: items, at: "\(path)[\(i)]") }
            }
        default:
            break
        }
        return errors
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
             ("integer", .integer), ("number", .integer), ("number", .number):
            return true
        case ("integer", .number(let d)):
            return d.rounded() == d
        default:
            return false
        }
    }
}

/// Collects the exchanges of a test so they can be checked against the document afterwards.
final class ConformanceRecorder: @unchecked Sendable {
    struct Exchange { var method: String; var path: String; var result: HTTPResult }
    private let lock = NSLock()
    private var exchanges: [Exchange] = []

    func record(method: String, path: String, result: HTTPResult) {
        lock.lock(); defer { lock.unlock() }
        exchanges.append(Exchange(method: method, path: path, result: result))
    }

    /// Every recorded response: its status is declared for its operation, and a JSON body validates.
    func violations(_ document: OpenAPIDocument) -> [String] {
        lock.lock(); defer { lock.unlock() }
        let validator = JSONSchemaValidator(document: document)
        var out: [String] = []
        for e in exchanges {
            guard let template = document.template(for: e.path) else { out.append("\(e.method) \(e.path): no such path"); continue }
            guard let response = document.response(method: e.method, template: template, status: e.result.status) else {
                out.append("\(e.method) \(template): status \(e.result.status) is not declared")
                continue
            }
            let type = e.result.headers["content-type"] ?? ""
            if type.hasPrefix("application/json"), let schema = document.jsonSchema(ofResponse: response) {
                guard let value = try? JSONDecoder().decode(JSONValue.self, from: e.result.body) else {
                    out.append("\(e.method) \(template): body is not JSON"); continue
                }
                out += validator.validate(value, against: schema).map { "\(e.method) \(template) \(e.result.status): \($0)" }
            }
        }
        return out
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return exchanges.count }
}
