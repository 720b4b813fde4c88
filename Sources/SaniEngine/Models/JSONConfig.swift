import Foundation

/// A model's `config.json`, kept as the raw dictionary so that fields sani does not use survive a save.
public struct JSONConfig: @unchecked Sendable {
    public var raw: [String: Any]

    public init(raw: [String: Any]) { self.raw = raw }

    public init(url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EngineError.io(path: url.path, reason: "cannot read config.json (\(error.localizedDescription))")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw EngineError.malformedFile(path: url.path, reason: "config.json is not valid JSON")
        }
        guard let dict = object as? [String: Any] else {
            throw EngineError.malformedFile(path: url.path, reason: "config.json is not a JSON object")
        }
        raw = dict
    }

    public var modelType: String? { raw["model_type"] as? String }

    /// An integer field; `nil` when absent or null; an error when present with another type.
    public func int(_ key: String) throws -> Int? {
        guard let v = raw[key], !(v is NSNull) else { return nil }
        if let n = v as? NSNumber {
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 1e15 else {
                throw EngineError.invalidConfig("\(key) must be an integer, found \(d)")
            }
            return Int(d)
        }
        throw EngineError.invalidConfig("\(key) must be an integer")
    }

    public func requiredInt(_ key: String, alternatives: [String] = []) throws -> Int {
        for k in [key] + alternatives { if let v = try int(k) { return v } }
        throw EngineError.invalidConfig("config.json has no \(key)")
    }

    public func double(_ key: String) throws -> Double? {
        guard let v = raw[key], !(v is NSNull) else { return nil }
        if let n = v as? NSNumber { return n.doubleValue }
        throw EngineError.invalidConfig("\(key) must be a number")
    }

    public func string(_ key: String) -> String? { raw[key] as? String }

    public func bool(_ key: String) -> Bool? { (raw[key] as? NSNumber)?.boolValue }

    public func write(to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: raw, options: [.prettyPrinted, .sortedKeys])
        do { try data.write(to: url, options: .atomic) } catch {
            throw EngineError.io(path: url.path, reason: error.localizedDescription)
        }
    }
}
