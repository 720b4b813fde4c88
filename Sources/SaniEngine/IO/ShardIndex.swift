import Foundation

/// The `model.safetensors.index.json` of a sharded Hugging Face checkpoint: which shard file holds which tensor.
struct ShardIndex {
    /// Tensor name to shard file name (relative to the model folder).
    let weightMap: [String: String]

    /// Shard file names in sorted order, without repetition.
    var shardFiles: [String] { Array(Set(weightMap.values)).sorted() }

    /// Reads and validates the index at `url`.
    /// - Throws: `EngineError.io` when unreadable; `EngineError.malformedFile` when it is not JSON, has no
    ///   `weight_map` object of strings, or names a shard outside the model folder.
    init(url: URL) throws {
        let path = url.path
        func malformed(_ reason: String) -> EngineError { .malformedFile(path: path, reason: reason) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw EngineError.io(path: path, reason: error.localizedDescription)
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw malformed("not valid JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else { throw malformed("top level is not a JSON object") }
        guard let mapObject = root["weight_map"] else { throw malformed("missing \"weight_map\"") }
        guard let rawMap = mapObject as? [String: Any] else { throw malformed("\"weight_map\" is not an object") }
        var map: [String: String] = [:]
        for (name, value) in rawMap {
            guard let file = value as? String else {
                throw malformed("\"weight_map\" entry \"\(name)\" is not a file name string")
            }
            guard Self.isPlainFileName(file) else {
                throw malformed("\"weight_map\" entry \"\(name)\" names \"\(file)\", which is not a file in the "
                    + "model folder")
            }
            map[name] = file
        }
        guard !map.isEmpty else { throw malformed("\"weight_map\" is empty") }
        weightMap = map
    }

    /// Whether `name` is a plain file name (no folder part, not `.`/`..`), so it cannot escape the model folder.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\\")
            && !name.contains("\0")
    }
}
