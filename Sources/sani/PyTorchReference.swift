import ArgumentParser
import Foundation

/// `sani bench engine --against-pytorch`: runs scripts/bench_pytorch.py on the same family and shape in the same
/// run (a subprocess, after sani's own figures) and compares.
struct PyTorchReference {
    let python: String
    let script: String

    /// Fails with an actionable message when the interpreter, torch, transformers or the script is missing.
    func check() throws {
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("the PyTorch reference script \(script) does not exist (run from the repository root or pass --pytorch-script)")
        }
        let (status, _, errors) = try run([python, "-c", "import torch, transformers"])
        guard status == 0 else {
            let reason = errors.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
            throw ValidationError("--against-pytorch needs torch and transformers importable by \(python) (\(reason)); install them (e.g. pip install torch transformers) or leave out --against-pytorch")
        }
    }

    /// The script's figures for `arguments` (its `--json` object).
    func figures(_ arguments: [String]) throws -> [String: Any] {
        let (status, output, errors) = try run([python, script] + arguments + ["--json"])
        guard status == 0 else {
            throw ValidationError("\(script) failed (exit status \(status)): \(errors.suffix(600))")
        }
        guard let line = output.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ValidationError("\(script) printed no JSON object")
        }
        return object
    }

    private func run(_ command: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let out = Pipe()
        // Standard error goes to a file: reading two pipes would need a second reader thread.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("sani-bench-\(UUID().uuidString).err")
        guard FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
            throw ValidationError("could not create \(errURL.path) for the output of \(command[0])")
        }
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? errHandle.close() }
        process.standardOutput = out
        process.standardError = errHandle
        do { try process.run() } catch {
            throw ValidationError("could not start \(command[0]): \(error)")
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), errors)
    }

    /// Rows `(figure, sani, PyTorch, speed ratio)`: sani / PyTorch for throughputs, PyTorch / sani for times, so
    /// above 1 means sani is faster either way.
    static func comparison(sani: [(String, Double)], pytorch: [String: Any]) -> [(String, Double, Double, Double)] {
        let throughputs = ["train_tokens_per_s", "forward_tokens_per_s"]
        let times = ["decode_ms_per_token", "decode_step_ms"]
        var rows: [(String, Double, Double, Double)] = []
        for (name, value) in sani where throughputs.contains(name) || times.contains(name) {
            guard let reference = (pytorch[name] as? NSNumber)?.doubleValue, reference > 0, value > 0 else { continue }
            rows.append((name, value, reference, throughputs.contains(name) ? value / reference : reference / value))
        }
        return rows
    }
}
