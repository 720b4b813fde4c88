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
        abstract: "Train tokens/s, forward tokens/s and decode ms/token on a model family's reference shape.",
        discussion: """
        Same work as scripts/bench_pytorch.py for the same family, batch and length: fp32, random weights, \
        a training step is forward + backward + gradient clipping + AdamW. bert is masked-LM training \
        (15% of the positions selected, 80% [MASK] / 10% random / 10% unchanged) and has no decode figures. \
        The decode-bf16 phase times batch-1 decode steps with fp32 and with bf16 weights in the same run (runs \
        interleaved) and sets them against the memory-bandwidth bound: the weight bytes a step reads over the \
        bandwidth measured at start (summing a 1 GiB buffer on every core, best of 3).
        """
    )

    @Option(help: "Model family: gpt2 (GPT-2 small shape), llama (SmolLM2-135M shape) or bert (BERT-base shape).")
    var family = "gpt2"
    @Option(help: "Sequences per batch.") var batch = 8
    @Option(help: "Tokens per sequence.") var length = 256
    @Option(help: "Timed training and forward steps (median reported).") var steps = 3
    @Option(help: "Timed decode runs (median reported; not for bert).") var decodeRuns = 3
    @Option(help: "Phases to time, comma-separated: train, forward, decode, decode-bf16 (bert: train, forward).")
    var phases = "train,forward,decode"
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(help: "OpenBLAS kernel family to run with (e.g. SKYLAKEX, HASWELL); default: the one loaded.")
    var blasCore: String?
    @Flag(help: "Also run the PyTorch reference (scripts/bench_pytorch.py, same family and shape) in this run and print sani / PyTorch ratios and GFLOP/s against the sgemm ceiling; needs torch and transformers.")
    var againstPytorch = false
    @Option(help: "The PyTorch reference script (with --against-pytorch).") var pytorchScript = "scripts/bench_pytorch.py"
    @Option(help: "Python interpreter of the PyTorch reference (with --against-pytorch).") var python = "python3"

    private var selectedPhases: Set<String> {
        Set(phases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    func run() throws {
        if let wanted = blasCore, wanted.lowercased() != OpenBLASRuntime.coreName.lowercased(),
           ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]?.lowercased() != wanted.lowercased() {
            OpenBLASRuntime.reexec(coreType: wanted)
        }
        guard ["gpt2", "llama", "bert"].contains(family) else {
            throw ValidationError("unknown family \(family); available: gpt2, llama, bert")
        }
        guard batch > 0, length > 0, steps > 0, decodeRuns > 0 else {
            throw ValidationError("batch, length, steps and decode runs must be positive")
        }
        guard !selectedPhases.isEmpty, selectedPhases.isSubset(of: ["train", "forward", "decode", "decode-bf16"]) else {
            throw ValidationError("unknown phase in \(phases); available: train, forward, decode, decode-bf16")
        }
        let reference = againstPytorch ? PyTorchReference(python: python, script: pytorchScript) : nil
        try reference?.check()
        let (shape, figures) = try family == "bert" ? benchBert() : benchLanguageModel()
        var pytorch: [String: Any]?
        if let reference {
            progress("PyTorch reference: \(python) \(pytorchScript) --family \(family)")
            pytorch = try reference.figures(["--family", family, "--batch", "\(batch)", "--seq", "\(length)",
                                             "--steps", "\(steps)", "--decode-runs", "\(decodeRuns)",
                                             "--threads", "\(Parallel.threadCount)",
                                             "--skip", ["train", "forward", "decode"].filter { !selectedPhases.contains($0) }
                                                 .joined(separator: ",")])
        }
        let context: [(String, String)] = [
            ("family", family), ("shape", shape), ("batch", "\(batch)x\(length)"),
            ("threads", "\(Parallel.threadCount)"), ("openblas_core", OpenBLASRuntime.coreName),
            ("blas_thread_timeout", ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] ?? "OpenBLAS's own"),
        ]
        let rows = pytorch.map { PyTorchReference.comparison(sani: figures, pytorch: $0) } ?? []
        let ceiling = figures.first { $0.0 == "sgemm_2048_gflops" }?.1 ?? .nan
        let parameters = figures.first { $0.0 == "parameters_millions" }?.1 ?? .nan
        // Achieved GFLOP/s with the usual estimate of 2 (forward) or 6 (training) flops per parameter per token.
        func gflops(_ name: String, _ tokensPerSecond: Double) -> Double? {
            let perToken = name == "train_tokens_per_s" ? 6.0 : name == "forward_tokens_per_s" ? 2.0 : 0
            return perToken > 0 ? tokensPerSecond * perToken * parameters * 1e6 / 1e9 : nil
        }
        if json {
            var object: [String: Any] = [:]
            for (k, v) in context { object[k] = v }
            for (k, v) in figures { object[k] = (v * 10).rounded() / 10 }
            if let pytorch { object["pytorch"] = pytorch }
            for (name, value, reference, ratio) in rows {
                object["ratio_" + name] = (ratio * 1000).rounded() / 1000
                if let g = gflops(name, value), let r = gflops(name, reference) {
                    object["gflops_" + name] = (g * 10).rounded() / 10
                    object["pytorch_gflops_" + name] = (r * 10).rounded() / 10
                }
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (k, v) in context { print("\(k.padding(toLength: 22, withPad: " ", startingAt: 0)) \(v)") }
            for (k, v) in figures { print("\(k.padding(toLength: 22, withPad: " ", startingAt: 0)) \(format(v))") }
            if !rows.isEmpty {
                print("")
                print("figure (medians)       sani        PyTorch     sani faster by   GFLOP/s sani / PyTorch (of sgemm \(format(ceiling)))")
                for (name, value, reference, ratio) in rows {
                    var line = name.padding(toLength: 22, withPad: " ", startingAt: 0)
                        + " " + format(value).padding(toLength: 11, withPad: " ", startingAt: 0)
                        + " " + format(reference).padding(toLength: 11, withPad: " ", startingAt: 0)
                        + " " + String(format: "%.2fx", ratio).padding(toLength: 16, withPad: " ", startingAt: 0)
                    if let g = gflops(name, value), let r = gflops(name, reference) {
                        line += " " + String(format: "%.1f (%.0f %%) / %.1f (%.0f %%)", g, 100 * g / ceiling, r, 100 * r / ceiling)
                    }
                    print(line)
                }
            }
        }
    }

    /// GPT-2 and Llama: causal-LM training, forward and KV-cache decoding.
    private func benchLanguageModel() throws -> (String, [(String, Double)]) {
        let model: any LanguageModel
        let shape: String
        if family == "gpt2" {
            let m = try GPT2Model(config: .small)
            m.initializeRandomly(seed: 1)
            model = m
            shape = "GPT-2 small (124M)"
        } else {
            let m = try LlamaModel(config: .smolLM2)
            m.initializeRandomly(seed: 1)
            model = m
            shape = "SmolLM2-135M"
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
        var figures = try trainAndForward(model.parameters, tokensPerStep: n, trainStep: trainStep) {
            _ = try model.forward(tokens: tokens, batch: batch, length: length)
        }
        model.releaseActivations()
        if selectedPhases.contains("decode") {
            let prompt = Array(tokens[0..<16])
            let newTokens = 64
            guard let decoder = model.decoder else { throw ValidationError("\(model.family) models do not decode") }
            _ = try Generator.generate(decoder, prompts: [prompt], maxNewTokens: 4)
            var decodeTimes: [Double] = [], firstTimes: [Double] = []
            for _ in 0..<decodeRuns {
                decodeTimes.append(try timed { _ = try Generator.generate(decoder, prompts: [prompt], maxNewTokens: newTokens) })
                firstTimes.append(try timed { _ = try Generator.generate(decoder, prompts: [prompt], maxNewTokens: 1) })
            }
            figures.append(("decode_ms_per_token", median(decodeTimes) * 1000 / Double(newTokens)))
            figures.append(("decode_step_ms", (median(decodeTimes) - median(firstTimes)) * 1000 / Double(newTokens - 1)))
        }
        if selectedPhases.contains("decode-bf16") {
            guard let decoder = model.decoder else { throw ValidationError("\(model.family) models do not decode") }
            figures += try benchDecodePrecisions(model, decoder, prompt: Array(tokens[0..<16]))
        }
        return (shape, figures + [
            ("peak_rss_mib", Double(ProcessMemory.peakResidentBytes()) / 1_048_576),
            ("sgemm_2048_gflops", gflops),
            ("parameters_millions", Double(model.parameters.count) / 1e6),
        ])
    }

    /// Batch-1 decode steps with fp32 and bf16 weights against the memory-bandwidth bound. A step's time is that of
    /// generating 64 tokens less that of generating 1, over 63 (the prompt's prefill left out); the two precisions'
    /// runs alternate so that both see the same machine.
    private func benchDecodePrecisions(_ model: any LanguageModel, _ decoder: any IncrementalDecoder,
                                       prompt: [Int32]) throws -> [(String, Double)] {
        let bandwidth = measureReadBandwidth()
        progress("memory read bandwidth (1 GiB, \(Parallel.threadCount) threads, best of 3): \(format(bandwidth / 1e9)) GB/s")
        let newTokens = 64
        let saved = decoder.decodePrecision
        defer { decoder.decodePrecision = saved }
        var steps: [DecodePrecision: [Double]] = [:]
        // Making the copies (once per change of the weights) is timed on its own: a two-token generation (the
        // prompt's prefill, one batch-1 step) making them against one that finds them made.
        decoder.decodePrecision = .bfloat16
        let build = try timed { _ = try Generator.generate(decoder, prompts: [prompt], maxNewTokens: 2) }
        let copyBytes = decoder.decodeCopyBytes
        let reuse = try timed { _ = try Generator.generate(decoder, prompts: [prompt], maxNewTokens: 2) }
        progress("bf16 copies: \(format(Double(copyBytes) / 1_048_576)) MiB made in \(format((build - reuse) * 1000)) ms")
        for run in 0..<decodeRuns {
            for precision in [DecodePrecision.float32, .bfloat16] {
                // Setting .float32 frees the copies: made again, untimed, before a bf16 run.
                decoder.decodePrecision = precision
                _ = try Generator.generate(decoder, prompts: [prompt], maxNewTokens: 2)
                let all = try timed { _ = try Generator.generate(decoder, prompts: [prompt], maxNewTokens: newTokens) }
                let first = try timed { _ = try Generator.generate(decoder, prompts: [prompt], maxNewTokens: 1) }
                let step = (all - first) / Double(newTokens - 1)
                steps[precision, default: []].append(step)
                progress("decode \(precision.rawValue) run \(run + 1)/\(decodeRuns): \(format(step * 1000)) ms/token")
            }
        }
        // What a step reads: every matrix of the blocks and the head (the bf16 copies hold exactly those; fp32
        // reads twice their bytes) plus the fp32 vectors (norms, biases); embedding rows are negligible.
        let vectorBytes = Double(model.parameters.specs.filter { $0.shape.count == 1 }.reduce(0) { $0 + $1.count } * 4)
        let bf16Bytes = Double(copyBytes) + vectorBytes, fp32Bytes = 2 * Double(copyBytes) + vectorBytes
        let fp32 = median(steps[.float32] ?? []), bf16 = median(steps[.bfloat16] ?? [])
        let fp32Bound = fp32Bytes / bandwidth, bf16Bound = bf16Bytes / bandwidth
        return [
            ("read_bandwidth_gb_s", bandwidth / 1e9),
            ("weights_mib_fp32", fp32Bytes / 1_048_576), ("weights_mib_bf16", bf16Bytes / 1_048_576),
            ("fp32_step_ms", fp32 * 1000), ("fp32_bound_ms", fp32Bound * 1000),
            ("bf16_step_ms", bf16 * 1000), ("bf16_bound_ms", bf16Bound * 1000),
            ("fp32_over_bound", fp32 / fp32Bound), ("bf16_over_bound", bf16 / bf16Bound),
            ("bf16_speedup", fp32 / bf16), ("bf16_copies_made_ms", (build - reuse) * 1000),
        ]
    }

    /// Bytes per second of reading a 1 GiB buffer (summed on every core, the way the decode kernels read weights),
    /// best of 3 after one pass that brings every page in.
    private func measureReadBandwidth() -> Double {
        let count = 1 << 28
        let buffer = FloatBuffer(count: count)
        let threads = Parallel.threadCount
        let partial = FloatBuffer(count: threads)
        func pass() -> Double {
            timed {
                Parallel.forRanges(threads) { range in
                    for t in range {
                        let lo = count / threads * t, hi = t == threads - 1 ? count : count / threads * (t + 1)
                        partial[t] = VectorMath.sum(buffer.pointer + lo, hi - lo)
                    }
                }
            }
        }
        _ = pass()
        let best = (0..<3).map { _ in pass() }.min() ?? .nan
        return Double(count * 4) / best
    }

    /// BERT-base: masked-LM training and forward (an encoder: no decoding).
    private func benchBert() throws -> (String, [(String, Double)]) {
        let config = BertConfig(vocabularySize: 30522, hiddenSize: 768, layers: 12, heads: 12, intermediateSize: 3072,
                                maxPositions: 512)
        guard length <= config.maxPositions else {
            throw ValidationError("length \(length) exceeds BERT-base's \(config.maxPositions) positions")
        }
        let model = try BertModel(config: config)
        // BERT's initialisation: normal(0, 0.02) matrices and embeddings, layer-norm weights 1, biases 0.
        var initRNG = RandomSource(seed: 1)
        for spec in model.parameters.specs {
            let p = model.parameters.values.pointer + spec.offset
            if spec.shape.count == 1 {
                p.update(repeating: spec.name.hasSuffix("LayerNorm.weight") ? 1 : 0, count: spec.count)
            } else {
                initRNG.fillNormal(p, spec.count, std: 0.02)
            }
        }
        let gflops = try measureSgemm(size: 2048)
        progress("sgemm 2048³: \(format(gflops)) GFLOP/s")
        // The batch scripts/bench_pytorch.py builds: ordinary ids (1000..<V, above the special and unused ids),
        // 15% selected as targets, of which 80% become [MASK] (103), 10% a random id, 10% stay unchanged.
        let maskID: Int32 = 103, firstOrdinary = 1000
        var rng = RandomSource(seed: 2)
        let n = batch * length
        func ordinary() -> Int32 { Int32(firstOrdinary + Int(rng.next() % UInt64(config.vocabularySize - firstOrdinary))) }
        let targets = (0..<n).map { _ in ordinary() }
        var tokens = targets
        var weights = [Float](repeating: 0, count: n)
        for i in 0..<n where rng.nextUniform() < 0.15 {
            weights[i] = 1
            let roll = rng.nextUniform()
            if roll < 0.8 { tokens[i] = maskID } else if roll < 0.9 { tokens[i] = ordinary() }
        }
        let tokenTypes = [Int32](repeating: 0, count: n)
        let optimizer = AdamW(parameters: model.parameters, settings: .init(weightDecay: 0.01))

        func trainStep() throws {
            model.parameters.ensureGradients()
            model.parameters.zeroGradients()
            _ = try model.accumulateGradients(tokens: tokens, tokenTypes: tokenTypes, targets: targets, weights: weights,
                                              batch: batch, length: length)
            if let g = model.parameters.gradients { GradientClipping.clip(g, maxNorm: 1) }
            optimizer.update(learningRate: 1e-4)
        }
        let figures = try trainAndForward(model.parameters, tokensPerStep: n, trainStep: trainStep) {
            _ = try model.forward(tokens: tokens, tokenTypes: tokenTypes, batch: batch, length: length)
        }
        return ("BERT-base (110M)", figures + [
            ("peak_rss_mib", Double(ProcessMemory.peakResidentBytes()) / 1_048_576),
            ("sgemm_2048_gflops", gflops),
            ("parameters_millions", Double(model.parameters.count) / 1e6),
        ])
    }

    /// The selected ones of training tokens/s and forward tokens/s (medians); the gradients go after training.
    private func trainAndForward(_ parameters: ParameterSet, tokensPerStep n: Int, trainStep: () throws -> Void,
                                 forward: () throws -> Void) throws -> [(String, Double)] {
        var figures: [(String, Double)] = []
        if selectedPhases.contains("train") {
            let trainTimes = try timeTraining(tokensPerStep: n, trainStep)
            parameters.dropGradients()
            figures.append(("train_tokens_per_s", Double(n) / median(trainTimes)))
        }
        if selectedPhases.contains("forward") {
            let forwardTimes = try timeForward(tokensPerStep: n, forward)
            figures.append(("forward_tokens_per_s", Double(n) / median(forwardTimes)))
        }
        return figures
    }

    /// One warm-up step, then `steps` timed ones.
    private func timeTraining(tokensPerStep n: Int, _ step: () throws -> Void) throws -> [Double] {
        progress("train step warm-up")
        try step()
        var times: [Double] = []
        for i in 0..<steps {
            times.append(try timed(step))
            progress("train step \(i + 1)/\(steps): \(format(Double(n) / times.last!)) tok/s")
        }
        return times
    }

    /// One warm-up forward, then `steps` timed ones.
    private func timeForward(tokensPerStep n: Int, _ forward: () throws -> Void) throws -> [Double] {
        try forward()
        var times: [Double] = []
        for i in 0..<steps {
            times.append(try timed(forward))
            progress("forward \(i + 1)/\(steps): \(format(Double(n) / times.last!)) tok/s")
        }
        return times
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
