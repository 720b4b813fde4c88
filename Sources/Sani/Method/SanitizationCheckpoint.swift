import Foundation
import SaniEngine

/// Progress of a sanitization saved after the erase phase and after every repair epoch, so that a job
/// interrupted by a crash or a restart resumes where it stopped instead of starting over.
///
/// Every save writes its weight files under new names, then replaces `state.json` (atomically) to point at
/// them, then removes the files the previous state used: a crash at any moment leaves one complete, consistent
/// checkpoint.
struct SanitizationCheckpoint: Codable {
    static let version = 2
    var version = SanitizationCheckpoint.version
    /// Options and input sizes the checkpoint belongs to; a checkpoint of other work is ignored.
    var fingerprint: String
    var completedEpochs: Int
    var optimizerStep: Int
    var before: AuditReport
    var erase: EraseSummary?
    var epochs: [AuditReport]
    var bestEpoch: Int
    /// Files of this checkpoint, relative to its folder.
    var weightsFile: String?
    var optimizerFile: String?
    var bestFile: String?

    static func fingerprint(inputs: SanitizationInputs, options: SanitizationOptions) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let opts = (try? encoder.encode(options)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let files = [inputs.model.appendingPathComponent("config.json"), inputs.corpus, inputs.terms, inputs.heldOut,
                     inputs.calibration,
                     inputs.base.map { $0.appendingPathComponent("config.json") }].compactMap { $0 }
            + ((try? WeightStore(folder: inputs.model))?.files.map(\.url) ?? [])
        let stamps = files.map { url -> String in
            let a = try? FileManager.default.attributesOfItem(atPath: url.path)
            let size = (a?[.size] as? Int) ?? -1
            let modified = (a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(url.lastPathComponent):\(size):\(modified)"
        }
        return opts + "|" + stamps.joined(separator: ",")
    }

    static func stateURL(_ folder: URL) -> URL { folder.appendingPathComponent("state.json") }

    /// Loads the checkpoint in `folder` if it exists, belongs to this work and its files are there.
    static func load(folder: URL, fingerprint: String) -> SanitizationCheckpoint? {
        guard let data = try? Data(contentsOf: stateURL(folder)),
              let state = try? ReportJSON.decoder().decode(SanitizationCheckpoint.self, from: data),
              state.version == version, state.fingerprint == fingerprint,
              let weights = state.weightsFile,
              FileManager.default.fileExists(atPath: folder.appendingPathComponent(weights).path) else { return nil }
        return state
    }

    /// Writes the weights (and optimizer moments, and the best weights when they are not the latest) under new
    /// names, points `state.json` at them, then removes the previous checkpoint's files.
    /// `keepBest`: the best weights did not change since the previous save, so its best file is kept.
    mutating func save(folder: URL, parameters: ParameterSet, optimizer: AdamW?, best: FloatBuffer?,
                       keepBest: Bool = false) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let previous = Self.load(folder: folder, fingerprint: fingerprint)
        let tag = "\(completedEpochs)-\(UUID().uuidString.prefix(8))"
        let weights = "weights-\(tag).safetensors"
        try ModelFolder.writeWeights(parameters, to: folder.appendingPathComponent(weights))
        weightsFile = weights
        if let optimizer {
            let s = optimizer.state
            let name = "optimizer-\(tag).safetensors"
            try SafetensorsWriter.write([
                .init(name: "m", shape: [s.m.count], data: UnsafeBufferPointer(start: s.m.pointer, count: s.m.count)),
                .init(name: "v", shape: [s.v.count], data: UnsafeBufferPointer(start: s.v.pointer, count: s.v.count)),
            ], metadata: [:], to: folder.appendingPathComponent(name))
            optimizerFile = name
        } else {
            optimizerFile = nil
        }
        if keepBest, let kept = previous?.bestFile {
            bestFile = kept
        } else if let best {
            let name = "best-\(tag).safetensors"
            try SafetensorsWriter.write([.init(name: "values", shape: [best.count],
                                               data: UnsafeBufferPointer(start: best.pointer, count: best.count))],
                                        metadata: [:], to: folder.appendingPathComponent(name))
            bestFile = name
        } else {
            bestFile = nil   // the latest weights are the best ones
        }
        try ReportJSON.encoder().encode(self).write(to: Self.stateURL(folder), options: .atomic)
        Self.removeLeftovers(folder: folder, live: [weightsFile, optimizerFile, bestFile].compactMap { $0 })
    }

    /// Removes every file of `folder` but `state.json` and `live`: the previous checkpoint's files, and what an
    /// interrupted save left (weights never pointed at, temporary files of an unfinished write).
    static func removeLeftovers(folder: URL, live: [String]) {
        let keep = Set(live + [stateURL(folder).lastPathComponent])
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where !keep.contains(name) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Tidies a checkpoint folder after a crash: removes the temporary files of a write the crash cut and, when
    /// `state.json` reads, the files it does not name (weights of a save that never reached it). Without a
    /// readable `state.json` other files are left alone (the next save or the end of the job removes them).
    static func tidy(folder: URL) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { return }
        let state = (try? Data(contentsOf: stateURL(folder)))
            .flatMap { try? ReportJSON.decoder().decode(SanitizationCheckpoint.self, from: $0) }
        let live = state.map { Set([$0.weightsFile, $0.optimizerFile, $0.bestFile].compactMap { $0 }) }
        for name in names where name != stateURL(folder).lastPathComponent {
            let temporary = name.hasPrefix(".") || name.hasSuffix(".tmp")
            if temporary || (live.map { !$0.contains(name) } ?? false) {
                try? fm.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }

    /// Restores the weights (and optimizer moments) of this checkpoint; returns the best weights when they
    /// differ from the latest.
    func restore(folder: URL, parameters: ParameterSet, optimizer: AdamW?) throws -> FloatBuffer? {
        guard let weightsFile else { throw SaniError.io(path: folder.path, reason: "the checkpoint has no weights") }
        let weights = try SafetensorsFile(url: folder.appendingPathComponent(weightsFile))
        defer { parameters.markModified() }
        for spec in parameters.specs {
            try weights.read(spec.name, into: parameters.values.pointer + spec.offset, count: spec.count)
        }
        if let optimizer, let optimizerFile {
            let file = try SafetensorsFile(url: folder.appendingPathComponent(optimizerFile))
            try optimizer.restore(step: optimizerStep, m: try file.floats("m"), v: try file.floats("v"))
        }
        guard let bestFile else { return nil }
        let best = FloatBuffer(count: parameters.count)
        try SafetensorsFile(url: folder.appendingPathComponent(bestFile)).read("values", into: best.pointer, count: best.count)
        return best
    }
}

extension Sanitizer {
    /// After a crash, keeps of a job's checkpoint folder only the checkpoint a run resumes from (see
    /// `SanitizationCheckpoint.tidy`).
    public static func tidyCheckpoints(folder: URL) {
        SanitizationCheckpoint.tidy(folder: folder)
    }
}
