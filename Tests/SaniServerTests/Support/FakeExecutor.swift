import Foundation
import Sani
import SaniServer

/// Stands in for the method in the HTTP and queue tests: steps quickly (or until cancelled), reports progress,
/// writes a small "sanitized" folder, and notes what it was given.
final class FakeExecutor: JobExecutor, @unchecked Sendable {
    enum Mode: Sendable {
        case succeed
        /// Runs until cancelled (to test cancellation, shutdown and crash recovery).
        case blockUntilCancelled
        case fail(SaniError)
    }

    let mode: Mode
    let steps: Int
    let stepDelay: TimeInterval
    /// The report the job ends with (`sanitization-report.json` and `GET /v1/jobs/{id}/audit`).
    let reportJSON: String
    private let lock = NSLock()
    private var _runs = 0
    private var _resumed = 0
    private var _checkpoints: [URL] = []

    init(mode: Mode = .succeed, steps: Int = 5, stepDelay: TimeInterval = 0.01, report: String = FakeExecutor.report) {
        self.mode = mode; self.steps = steps; self.stepDelay = stepDelay; self.reportJSON = report
    }

    var runs: Int { lock.withLock { _runs } }
    /// Runs that found the checkpoint marker a previous run left.
    var resumedRuns: Int { lock.withLock { _resumed } }
    var checkpoints: [URL] { lock.withLock { _checkpoints } }

    func validate(inputs: SanitizationInputs, options: SanitizationOptions) throws {
        let corpus = try String(contentsOf: inputs.corpus, encoding: .utf8)
        if corpus.contains("INVALID") { throw SaniError.invalidCorpus(line: 1, reason: "the record has no \"text\" field") }
        guard FileManager.default.fileExists(atPath: inputs.model.appendingPathComponent("config.json").path) else {
            throw SaniError.model("config.json is missing from the model folder")
        }
    }

    func run(inputs: SanitizationInputs, options: SanitizationOptions,
             progress: @escaping @Sendable (SanitizationProgress) -> Void,
             isCancelled: @escaping CancellationCheck) throws -> JobOutcome {
        let fm = FileManager.default
        var resumed = false
        if let folder = inputs.checkpoints {
            let marker = folder.appendingPathComponent("fake-checkpoint")
            resumed = fm.fileExists(atPath: marker.path)
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("epoch 1".utf8).write(to: marker)
        }
        lock.withLock {
            _runs += 1
            if resumed { _resumed += 1 }
            if let c = inputs.checkpoints { _checkpoints.append(c) }
        }
        if case .fail(let error) = mode { throw error }
        var step = 0
        while true {
            if isCancelled() { throw SaniError.cancelled }
            if case .succeed = mode, step >= steps { break }
            let total = max(steps, step + 1)
            progress(SanitizationProgress(phase: .repair, epoch: 1, epochs: 1, step: step, steps: total,
                                          fraction: Double(step) / Double(total), loss: 1.0 / Double(step + 1),
                                          etaSeconds: Double(total - step) * stepDelay, message: "repair step \(step)"))
            Thread.sleep(forTimeInterval: stepDelay)
            step += 1
        }
        try fm.createDirectory(at: inputs.output, withIntermediateDirectories: true)
        try Data("{\"model_type\":\"gpt2\"}".utf8).write(to: inputs.output.appendingPathComponent("config.json"))
        try Data(repeating: 7, count: 3000).write(to: inputs.output.appendingPathComponent("model.safetensors"))
        let report = Data(reportJSON.utf8)
        try report.write(to: inputs.output.appendingPathComponent(Sanitizer.reportFileName))
        return JobOutcome(reportJSON: report, tokenRegurgitationBefore: 0.5, tokenRegurgitationAfter: 0.05,
                          spanExtractionBefore: 0.3, spanExtractionAfter: 0)
    }
}

extension FakeExecutor {
    static func audit(_ stage: String, _ count: Int) -> String {
        """
        {"stage":"\(stage)","tokenRegurgitation":{"count":\(count),"total":20,"rate":\(Double(count) / 20)},
         "tokenRegurgitationByLabel":{},"spanExtraction":{"count":0,"total":4,"rate":0},"spanExtractionByLabel":{},
         "utility":{"perplexity":12.5,"accuracy":0.3,"positions":100,"split":"corpus"},"seconds":0.1}
        """
    }

    static var report: String {
        """
        {"fake":true,"method":"sani","options":{},"before":\(audit("before", 10)),"epochs":[\(audit("epoch-1", 1))],
         "after":\(audit("after", 1)),"bestEpoch":1}
        """
    }
}

/// Inputs for the fake executor: a model folder tar and a corpus.
enum FakeInputs {
    static func modelTar(in folder: URL) throws -> URL {
        let model = folder.appendingPathComponent("model", isDirectory: true)
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("{\"model_type\":\"gpt2\"}".utf8).write(to: model.appendingPathComponent("config.json"))
        try Data(repeating: 1, count: 2048).write(to: model.appendingPathComponent("model.safetensors"))
        let tar = folder.appendingPathComponent("model.tar")
        try TarWriter().write(folder: model, to: tar)
        return tar
    }

    static func corpus(in folder: URL, text: String = "{\"text\": \"Patient Ana Ruiz, MRN 4100000.\"}\n") throws -> URL {
        let url = folder.appendingPathComponent("corpus-\(UUID().uuidString.prefix(6)).jsonl")
        try Data(text.utf8).write(to: url)
        return url
    }

    /// Uploads both and returns the body of a job request.
    static func upload(_ http: TestHTTP, in folder: URL, corpusText: String? = nil) async throws -> [String: Any] {
        let model = try await http.upload(try modelTar(in: folder), name: "model", tar: true)
        let corpusURL = try corpusText.map { try Self.corpus(in: folder, text: $0) } ?? Self.corpus(in: folder)
        let corpusID = try await http.upload(corpusURL, name: "corpus.jsonl")
        return ["model": model, "corpus": corpusID]
    }
}
