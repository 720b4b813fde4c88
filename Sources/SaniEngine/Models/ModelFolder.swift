import Foundation

/// Files of a Hugging Face model folder that travel with the weights.
public enum ModelFolder {
    /// Tokenizer and generation files copied next to saved weights so the folder loads unchanged.
    public static let companionFiles = [
        "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "vocab.txt",
        "special_tokens_map.json", "added_tokens.json", "generation_config.json",
    ]

    /// Creates `folder` (and parents) if needed.
    public static func create(_ folder: URL) throws {
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw EngineError.io(path: folder.path, reason: error.localizedDescription)
        }
    }

    /// Copies the companion files present in `source` into `destination`, replacing existing ones.
    public static func copyCompanionFiles(from source: URL, to destination: URL) throws {
        let fm = FileManager.default
        if source.standardizedFileURL == destination.standardizedFileURL { return }
        for name in companionFiles {
            let from = source.appendingPathComponent(name)
            guard fm.fileExists(atPath: from.path) else { continue }
            let to = destination.appendingPathComponent(name)
            do {
                if fm.fileExists(atPath: to.path) { try fm.removeItem(at: to) }
                try fm.copyItem(at: from, to: to)
            } catch {
                throw EngineError.io(path: to.path, reason: error.localizedDescription)
            }
        }
    }

    /// Writes every tensor of `parameters` as F32 safetensors with `{"format": "pt"}` metadata.
    public static func writeWeights(_ parameters: ParameterSet, to url: URL) throws {
        let base = parameters.values.pointer
        let tensors = parameters.specs.map { spec in
            SafetensorsWriter.Tensor(name: spec.name, shape: spec.shape,
                                     data: UnsafeBufferPointer(start: base + spec.offset, count: spec.count))
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: url)
    }

    /// Fills `parameters` from `store`. `candidates(spec)` lists the names a tensor may have in the file,
    /// first match wins; shapes must match exactly.
    public static func readWeights(into parameters: ParameterSet, from store: WeightStore,
                                   candidates: (ParameterSpec) -> [String]) throws {
        defer { parameters.markModified() }
        for spec in parameters.specs {
            let names = candidates(spec)
            guard let name = names.first(where: { store.entry($0) != nil }), let entry = store.entry(name) else {
                throw EngineError.missingTensor(spec.name)
            }
            guard entry.shape == spec.shape else {
                throw EngineError.shapeMismatch(tensor: name, expected: spec.shape, found: entry.shape)
            }
            try store.read(name, into: parameters.values.pointer + spec.offset, count: spec.count)
        }
    }
}
