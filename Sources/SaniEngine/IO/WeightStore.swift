import Foundation

/// All weights of a Hugging Face model folder: either a single `model.safetensors`, or
/// `model.safetensors.index.json` plus the shard files its `weight_map` names.
///
/// As in `transformers`, a single `model.safetensors` takes precedence over an index. Every shard is opened and
/// validated up front. The index must agree with the shards: every tensor it lists must be in the shard it
/// names, and no tensor may appear in two shards. Tensors present in a shard but absent from the index are
/// still available (the shards are the source of truth for bytes).
public final class WeightStore: @unchecked Sendable {
    /// File name of an unsharded checkpoint.
    public static let singleFileName = "model.safetensors"
    /// File name of the index of a sharded checkpoint.
    public static let indexFileName = "model.safetensors.index.json"

    /// The model folder.
    public let folder: URL
    /// All tensor names: shard by shard (shards in file-name order), each in data-offset order.
    public let names: [String]
    /// The opened files (one, or the shards in file-name order).
    public let files: [SafetensorsFile]

    private let fileForName: [String: SafetensorsFile]

    /// Opens the weights in `folder`.
    /// - Throws: `EngineError.io` when the folder has neither file or a file cannot be read;
    ///   `EngineError.malformedFile` for a bad index (naming a missing shard, a tensor its shard lacks, or a
    ///   tensor stored in two shards) or a bad safetensors file.
    public init(folder: URL) throws {
        self.folder = folder
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw EngineError.io(path: folder.path, reason: "model folder does not exist or is not a folder")
        }
        let single = folder.appendingPathComponent(Self.singleFileName)
        let index = folder.appendingPathComponent(Self.indexFileName)
        if manager.fileExists(atPath: single.path) {
            let file = try SafetensorsFile(url: single)
            files = [file]
            names = file.names
            fileForName = Dictionary(file.names.map { ($0, file) }, uniquingKeysWith: { first, _ in first })
        } else if manager.fileExists(atPath: index.path) {
            (files, names, fileForName) = try Self.openShards(folder: folder, index: index)
        } else {
            throw EngineError.io(path: folder.path, reason: "the folder contains neither \(Self.singleFileName) "
                + "nor \(Self.indexFileName)")
        }
    }

    private static func openShards(folder: URL, index url: URL) throws
        -> ([SafetensorsFile], [String], [String: SafetensorsFile]) {
        let index = try ShardIndex(url: url)
        func malformed(_ reason: String) -> EngineError { .malformedFile(path: url.path, reason: reason) }
        var files: [SafetensorsFile] = []
        var names: [String] = []
        var owner: [String: SafetensorsFile] = [:]
        for shard in index.shardFiles {
            let shardURL = folder.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw malformed("shard \"\(shard)\" listed in weight_map does not exist in the model folder")
            }
            let file = try SafetensorsFile(url: shardURL)
            for name in file.names {
                if let other = owner[name] {
                    throw malformed("tensor \"\(name)\" is stored in two shards: \"\(other.url.lastPathComponent)\" "
                        + "and \"\(shard)\"")
                }
                owner[name] = file
                names.append(name)
            }
            files.append(file)
        }
        for (name, shard) in index.weightMap.sorted(by: { $0.key < $1.key })
        where owner[name]?.url.lastPathComponent != shard {
            throw malformed("weight_map puts tensor \"\(name)\" in shard \"\(shard)\", which does not contain it")
        }
        return (files, names, owner)
    }

    /// The entry for `name`, or `nil` when no file has such a tensor. Its byte range is within the file
    /// returned by `file(containing:)`.
    public func entry(_ name: String) -> TensorEntry? { fileForName[name]?.entry(name) }

    /// The file that stores tensor `name`.
    public func file(containing name: String) -> SafetensorsFile? { fileForName[name] }

    /// Converts tensor `name` to `Float` into `destination`, which must hold exactly `count` elements.
    /// - Throws: as `SafetensorsFile.read(_:into:count:)`.
    public func read(_ name: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        guard let file = fileForName[name] else { throw EngineError.missingTensor(name) }
        try file.read(name, into: destination, count: count)
    }

    /// Tensor `name` converted to `Float`, flattened in row-major order.
    /// - Throws: as `SafetensorsFile.floats(_:)`.
    public func floats(_ name: String) throws -> [Float] {
        guard let file = fileForName[name] else { throw EngineError.missingTensor(name) }
        return try file.floats(name)
    }
}
