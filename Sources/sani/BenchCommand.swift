import ArgumentParser
import Foundation
import SaniEngine

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print figures.",
        subcommands: [BenchEngineCommand.self]
    )
}

/// `sani bench engine`: training, forward and decode throughput for a model family's reference shape.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Train tokens/s, forward tokens/s and decode ms/token on a model family's reference shape."
    )

    @Option(help: "Model family: gpt2 (GPT-2 small shape) or llama (SmolLM2-135M shape).") var family = "gpt2"
    @Option(help: "Sequences per batch.") var batch = 8
    @Option(help: "Tokens per sequence.") var length = 256
    @Option(help: "Timed training and forward steps (median reported).") var steps = 3
    @Option(help: "Timed decode runs (median reported).") var decodeRuns = 3
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(help: "OpenBLAS kernel family to run with (e.g. SKYLAKEX, HASWELL); default: the one loaded.")
    var blasCore: String?

    func run() throws {
        if let wanted = blasCore, wanted.lowercased() != OpenBLASRuntime.coreName.lowercased(),
           ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]?.lowercased() != wanted.lowercased() {
            OpenBLASRuntime.reexec(coreType: wanted)
        }
        let model: any LanguageModel
        let shape: String
        switch family {
        case "gpt2":
            let m = try GPT2Model(config: .small)
            m.initializeRandomly(seed: 1)
            model = m
            shape = "GPT-2 small (124M)"
        case "llama":
            let m = try LlamaModel(config: .smolLM2)
            m.initializeRandomly(seed: 1)
            model = m
            shape = "SmolLM2-135M"
        default:
            throw ValidationError("unknown family \(family); available: gpt2, llama")
        }
        let gflops = try measureSgemm(size: 2048)
        progress("sgemm 2048³: \(format(gflops)) GFLOP/s")
        var rng = RandomSource(seed: 2)
        let n = batch * length
        let seq = (0...n).map { _ in Int32(rng.next() % UInt64(model.vocabularySize)) }
        let tokens = Array(seq[0..<n]), targets = Array(seq[1...n])
        let weights = [Float](repeating: 1, count: n)
        let optimizer = AdamW(parameters: model.parameters, settings: .init(weightDecay: 0.01))

        func trainStep() throws {
            model.parameters.ensureGradients()
            model.parameters.zeroGradients()
            _ = try model.accumulateGradients(tokens: tokens, targets: targets, weights: weights,
                                              batch: batch, length: length)
            if let g = model.parameters.gradients { GradientClipping.clip(g, maxNorm: 1) }
            optimizer.update(learningRate: 1e-4)
        }
        progress("train step warm-up")
        try trainStep()
        var trainTimes: [Double] = []
        for i in 0..<steps {
            trainTimes.append(try timed(trainStep))
            progress("train step \(i + 1)/\(steps): \(format(Double(n) / trainTimes.last!)) tok/s")
        }
        model.parameters.dropGradients()
        try model.forward(tokens: tokens, batch: batch, length: length)
        var forwardTimes: [Double] = []
        for i in 0..<steps {
            forwardTimes.append(try timed { try model.forward(tokens: tokens, batch: batch, length: length) })
            progress("forward \(i + 1)/\(steps): \(format(Double(n) / forwardTimes.last!)) tok/s")
        }
        model.releaseActivations()
        let prompt = Array(tokens[0..<16])
        let newTokens = 64
        _ = try Generator.generate(model, prompts: [prompt], maxNewTokens: 4)
        var decodeTimes: [Double] = [], firstTimes: [Double] = []
        for _ in 0..<decodeRuns {
            decodeTimes.append(try timed { _ = try Generator.generate(model, prompts: [prompt], maxNewTokens: newTokens) })
            firstTimes.append(try timed { _ = try Generator.generate(model, prompts: [prompt], maxNewTokens: 1) })
        }
        let figures: [(String, Double)] = [
            ("train_tokens_per_s", Double(n) / median(trainTimes)),
            ("forward_tokens_per_s", Double(n) / median(forwardTimes)),
            ("decode_ms_per_token", median(decodeTimes) * 1000 / Double(newTokens)),
            ("decode_step_ms", (median(decodeTimes) - median(firstTimes)) * 1000 / Double(newTokens - 1)),
            ("peak_rss_mib", Double(ProcessMemory.peakResidentBytes()) / 1_048_576),
            ("sgemm_2048_gflops", gflops),
        ]
        let context: [(String, String)] = [
            ("family", family), ("shape", shape), ("batch", "\(batch)x\(length)"),
            ("threads", "\(Parallel.threadCount)"), ("openblas_core", OpenBLASRuntime.coreName),
        ]
        if json {
            var object: [String: Any] = [:]
            for (k, v) in context { object[k] = v }
            for (k, v) in figures { object[k] = (v * 10).rounded() / 10 }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (k, v) in context { print("\(k.padding(toLength: 22, withPad: " ", startingAt: 0)) \(v)") }
            for (k, v) in figures { print("\(k.padding(toLength: 22, withPad: " ", startingAt: 0)) \(format(v))") }
        }
    }

    /// Median GFLOP/s of a square single-precision product, the machine's reference in this run.
    private func measureSgemm(size n: Int) throws -> Double {
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        var rng = RandomSource(seed: 3)
        rng.fillNormal(a.pointer, n * n, std: 1)
        rng.fillNormal(b.pointer, n * n, std: 1)
        var times: [Double] = []
        for _ in 0..<4 {
            times.append(timed {
                BLAS.sgemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
            })
        }
        return 2 * Double(n * n * n) / median(Array(times.dropFirst())) / 1e9
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data("  \(message)\n".utf8))
    }
}

func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func format(_ v: Double) -> String { String(format: "%.1f", v) }
