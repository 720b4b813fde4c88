import Foundation
import Yams

/// Builds a `ServerConfiguration` from the defaults, a YAML file, the environment and flags, in that order.
public enum ConfigurationLoader {
    /// - Parameters:
    ///   - file: optional YAML file (`config/sani.yaml` documents its form)
    ///   - environment: usually `ProcessInfo.processInfo.environment`; only `SANI_*` variables are read
    ///   - overrides: `path=value` pairs from the command line (`--set server.port=9000`, or the short flags)
    public static func load(file: URL?, environment: [String: String], overrides: [(String, String)] = []) throws -> ServerConfiguration {
        var config = ServerConfiguration()
        if let file {
            let text: String
            do { text = try String(contentsOf: file, encoding: .utf8) } catch {
                throw ConfigurationError.unreadable(path: file.path, reason: error.localizedDescription)
            }
            try applyYAML(text, to: &config, source: file.path)
        }
        try applyEnvironment(environment, to: &config)
        for (path, value) in overrides {
            guard let setting = SettingCatalog.setting(path: path) else {
                throw ConfigurationError.invalid("unknown setting \"\(path)\" (known: \(SettingCatalog.all.map(\.path).joined(separator: ", ")))")
            }
            try setting.apply(&config, value)
        }
        try config.validate()
        return config
    }

    /// Applies a YAML document; unknown keys are errors so that a typo never goes unnoticed.
    public static func applyYAML(_ text: String, to config: inout ServerConfiguration, source: String = "YAML") throws {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ConfigurationError.unreadable(path: source, reason: "not valid YAML: \(error)")
        }
        guard let root else { return }
        guard let mapping = root.mapping else {
            throw ConfigurationError.unreadable(path: source, reason: "the top level must be a mapping of sections")
        }
        for (sectionKey, sectionNode) in mapping {
            guard let section = sectionKey.string else { continue }
            if sectionNode.scalar != nil, sectionNode.string == nil || sectionNode.string == "" || sectionNode.string == "~" {
                continue  // empty section
            }
            guard let entries = sectionNode.mapping else {
                throw ConfigurationError.invalid("\(section) must be a mapping")
            }
            for (key, value) in entries {
                guard let name = key.string else { continue }
                let path = "\(section).\(name)"
                if path == "auth.keys" {
                    config.apiKeys = try parseKeys(value)
                    continue
                }
                guard let setting = SettingCatalog.setting(path: path) else {
                    throw ConfigurationError.invalid("unknown setting \"\(path)\" in \(source)")
                }
                guard let scalar = value.scalar?.string else {
                    throw ConfigurationError.invalid("\(path) must be a single value")
                }
                try setting.apply(&config, scalar)
            }
        }
    }

    private static func parseKeys(_ node: Node) throws -> [ConfiguredAPIKey] {
        if let s = node.scalar?.string, s.isEmpty || s == "~" || s == "null" { return [] }
        guard let items = node.sequence else { throw ConfigurationError.invalid("auth.keys must be a list") }
        var keys: [ConfiguredAPIKey] = []
        for item in items {
            guard let m = item.mapping else { throw ConfigurationError.invalid("auth.keys entries must be mappings") }
            var tenant: String?
            var key: String?
            var hash: String?
            var admin = false
            for (k, v) in m {
                switch k.string ?? "" {
                case "tenant": tenant = v.string
                case "key": key = v.string
                case "sha256": hash = v.string
                case "admin": admin = ["true", "yes", "1", "on"].contains((v.string ?? "").lowercased())
                default: throw ConfigurationError.invalid("auth.keys: unknown field \"\(k.string ?? "")\" (known: tenant, key, sha256, admin)")
                }
            }
            guard let tenant else { throw ConfigurationError.invalid("auth.keys: every entry needs a tenant") }
            keys.append(ConfiguredAPIKey(tenant: tenant, key: key, sha256: hash, admin: admin))
        }
        return keys
    }

    /// `SANI_<SECTION>_<NAME>` for each setting; `SANI_API_KEYS="tenant:key,tenant2:key2"` adds keys
    /// (`admin@tenant:key` marks an admin key).
    public static func applyEnvironment(_ environment: [String: String], to config: inout ServerConfiguration) throws {
        for setting in SettingCatalog.all {
            if let value = environment[setting.environmentVariable] { try setting.apply(&config, value) }
        }
        if let list = environment["SANI_API_KEYS"] {
            for entry in list.split(separator: ",") {
                let parts = entry.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else {
                    throw ConfigurationError.invalid("SANI_API_KEYS entries must be tenant:key, got \"\(entry)\"")
                }
                var tenant = parts[0]
                var admin = false
                if tenant.hasPrefix("admin@") { admin = true; tenant = String(tenant.dropFirst(6)) }
                config.apiKeys.append(ConfiguredAPIKey(tenant: tenant, key: parts[1], admin: admin))
            }
        }
    }
}
