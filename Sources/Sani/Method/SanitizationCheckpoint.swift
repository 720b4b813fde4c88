import Foundation
import SaniEngine

/// Progress of a sanitization saved after the erase phase and after every repair epoch, so that a job
/// interrupted by a crash or a restart resumes where it stopped instead of starting over.
struct SanitizationCheckpoint: Codable {
    static let version = 1
    var version = SanitizationCheckpoint.version
    /// Options and input sizes the checkpoint belongs to; a checkpoint of other work is ignored.
    var fingerprint: String
    var completedEpochs: Int
    var optimizerStep: Int
    var before: AuditReport
    var erase: EraseSummary?
    var epochs: [AuditReport]
    var bestEpoch: Int

    static func fingerprint(inputs: SanitizationInputs, options: SanitizationOptions) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let opts = (try? encoder.encode(options)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let sizes = [inputs.model.appendingPathComponent("config.json"), inputs.corpus, inputs.terms].compactMap { $0 }
            .map { url in ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? Int) ?? -1 }
        return opts + "|" + sizes.map(String.init).joined(separator: ",")
    }

    // MARK: - Files

    static func stateURL(_ folder: URL) -> URL { folder.appendingPathComponent("state.json") }
    static func weightsURL(_ folder: URL) -> URL { folder.appendingPathComponent("latest.safetensors") }
    static func bestURL(_ folder: URL) -> URL { folder.appendingPathComponent("best.safetensors") }
    static func optimizerURL(_ folder: URL) -> URL { folder.appendingPathComponent("optimizer.safetensors") }

    /// Loads the checkpoint in `folder` if it exists and belongs to this work.
    static func load(folder: URL, fingerprint: String) -> SanitizationCheckpoint? {
        guard let data = try? Data(contentsOf: stateURL(folder)),
              let state = try? ReportJSON.decoder().decode(SanitizationCheckpoint.self, from: data),
              state.version == version, state.fingerprint == fingerprint,
              FileManager.default.fileExists(atPath: weightsURL(folder).path) else { return nil }
        return state
    }

    /// Writes weights first and the state last (atomically), so a crash mid-write leaves the previous
    /// checkpoint valid.
    /// `keepBest`: the best weights did not change since the last save, so an existing best file stays.
    func save(folder: URL, parameters: ParameterSet, optimizer: AdamW?, best: FloatBuffer?, keepBest: Bool = false) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try ModelFolder.writeWeights(parameters, to: Self.weightsURL(folder))
        if keepBest && FileManager.default.fileExists(atPath: Self.bestURL(folder).path) {
            // Unchanged since the previous checkpoint.
        } else if let best {
            try SafetensorsWriter.write([.init(name: "values", shape: [best.count],
                                               data: UnsafeBufferPointer(start: best.pointer, count: best.count))],
                                        metadata: [:], to: Self.bestURL(folder))
        } else {
            // The latest weights are the best ones: a best file of an earlier epoch is stale.
            try? FileManager.default.removeItem(at: Self.bestURL(folder))
        }
        if let optimizer {
            let s = optimizer.state
            try SafetensorsWriter.write([
                .init(name: "m", shape: [s.m.count], data: UnsafeBufferPointer(start: s.m.pointer, count: s.m.count)),
                .init(name: "v", shape: [s.v.count], data: UnsafeBufferPointer(start: s.v.pointer, count: s.v.count)),
            ], metadata: [:], to: Self.optimizerURL(folder))
        }
        try ReportJSON.encoder().encode(self).write(to: Self.stateURL(folder), options: .atomic)
    }

    /// Restores the weights (and optimizer moments) saved by `save`.
    func restore(folder: URL, parameters: ParameterSet, optimizer: AdamW?) throws -> FloatBuffer? {
        let weights = try SafetensorsFile(url: Self.weightsURL(folder))
        for spec in parameters.specs {
            try weights.read(spec.name, into: parameters.values.pointer + spec.offset, count: spec.count)
        }
        if let optimizer, FileManager.default.fileExists(atPath: Self.optimizerURL(folder).path) {
            let file = try SafetensorsFile(url: Self.optimizerURL(folder))
            try optimizer.restore(step: optimizerStep, m: try file.floats("m"), v: try file.floats("v"))
        }
        guard FileManager.default.fileExists(atPath: Self.bestURL(folder).path) else { return nil }
        let best = FloatBuffer(count: parameters.count)
        try SafetensorsFile(url: Self.bestURL(folder)).read("values", into: best.pointer, count: best.count)
        return best
    }
}
