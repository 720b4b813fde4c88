import ArgumentParser
import Foundation
import SaniServer

/// `sani submit`: uploads the model (a folder goes as a tar) and the corpus, creates the job, prints its id.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "Upload inputs and start a sanitization job on a server.")
    @OptionGroup var client: ClientOptions
    @Option(help: "Hugging Face model folder (uploaded as a tar).") var model: String
    @Option(help: "Corpus file (JSONL or text).") var corpus: String
    @Option(help: "Confidential terms file.") var terms: String?
    @Option(help: "Notes the model was never fine-tuned on (utility is measured on them).") var heldOut: String?
    @Option(help: "Notes of the same kind the model never saw, apart from the held-out ones: the repair trains on them (by default with --base, else with \"repairNotes\": \"calibration\"), and the membership floor reads its level from them.")
    var calibration: String?
    @Option(help: "Folder of the model the fine-tune started from (erase restores to it; uploaded as a tar).")
    var base: String?
    @Option(help: "Method options as a JSON object, e.g. '{\"epochs\": 1}'.") var options: String?
    @Option(help: "Idempotency key: submitting again with the same key returns the same job.") var idempotencyKey: String?

    func run() throws {
        let api = try client.client()
        let (model, corpus, terms, heldOut, calibration, base, options, key) =
            (model, corpus, terms, heldOut, calibration, base, options, idempotencyKey)
        let job = try AsyncBridge.run {
            /// Uploads one input (a folder goes as a tar) and says what the server stored.
            func upload(_ path: String, as label: String) async throws -> String {
                let f = try await api.upload(URL(fileURLWithPath: path))
                FileHandle.standardError.write(Data("\(label)  \(f.id)  \(f.size) bytes  sha256 \(f.sha256)\n".utf8))
                return f.id
            }
            let m = try await upload(model, as: "model")
            let c = try await upload(corpus, as: "corpus")
            var t: String?, h: String?, k: String?, b: String?
            if let terms { t = try await upload(terms, as: "terms") }
            if let heldOut { h = try await upload(heldOut, as: "held-out notes") }
            if let calibration { k = try await upload(calibration, as: "calibration notes") }
            if let base { b = try await upload(base, as: "base model") }
            return try await api.createJob(model: m, corpus: c, terms: t, heldOut: h, base: b, calibration: k,
                                           options: options.map { Data($0.utf8) }, idempotencyKey: key)
        }
        print(job.id)
    }
}

/// `sani status ID`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a job's status.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id.") var id: String

    func run() throws {
        let api = try client.client()
        let id = id
        let job = try AsyncBridge.run { try await api.job(id) }
        print(JobLine.describe(job))
    }
}

/// `sani wait ID`: polls until the job ends, with a progress bar on a terminal; exits non-zero unless it succeeded.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wait", abstract: "Wait for a job to end, showing its progress.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id.") var id: String
    @Option(help: "Seconds between polls.") var interval: Double = 2

    func run() throws {
        let api = try client.client()
        let (id, interval) = (id, interval)
        let terminal = isatty(2) == 1
        let job = try AsyncBridge.run {
            var last = ""
            while true {
                let job = try await api.job(id)
                let line = JobLine.describe(job)
                if terminal {
                    FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
                } else if line != last {
                    FileHandle.standardError.write(Data("\(line)\n".utf8))
                }
                last = line
                if job.isFinal { if terminal { FileHandle.standardError.write(Data("\n".utf8)) }; return job }
                try await Task.sleep(for: .seconds(interval))
            }
        }
        print(job.status)
        if job.status != "succeeded" { throw ExitCode(1) }
    }
}

/// `sani download ID --out DIR`: downloads the sanitized model, verifies SHA-256, unpacks it.
struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "download", abstract: "Download a job's sanitized model (checksum verified).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id.") var id: String
    @Option(help: "Folder to write the Hugging Face model into.") var out: String
    @Flag(help: "Keep model.tar as is instead of unpacking it.") var tar = false

    func run() throws {
        let api = try client.client()
        let (id, out, keepTar) = (id, URL(fileURLWithPath: out), tar)
        try AsyncBridge.run {
            let artifacts = try await api.artifacts(id)
            guard let archive = artifacts.first(where: { $0.name == "model.tar" }) else {
                throw ClientError(description: "job \(id) has no model.tar (has it succeeded?)")
            }
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let tarURL = out.appendingPathComponent("model.tar")
            try await api.download(job: id, artifact: archive, to: tarURL)
            FileHandle.standardError.write(Data("model.tar  \(archive.size) bytes  sha256 \(archive.sha256) verified\n".utf8))
            if !keepTar {
                try TarExtractor(maxEntries: 100_000, maxTotalBytes: Int64.max).extract(archive: tarURL, into: out)
                try FileManager.default.removeItem(at: tarURL)
            }
        }
        print(out.path)
    }
}

/// `sani jobs`.
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List jobs (newest first).")
    @OptionGroup var client: ClientOptions
    @Option(help: "Only jobs with this status.") var status: String?
    @Option(help: "At most this many.") var limit = 50

    func run() throws {
        let api = try client.client()
        let (status, limit) = (status, limit)
        let jobs = try AsyncBridge.run { try await api.jobs(status: status, limit: limit) }
        for job in jobs { print(JobLine.describe(job)) }
    }
}

/// `sani cancel ID`.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a job.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id.") var id: String

    func run() throws {
        let api = try client.client()
        let id = id
        let job = try AsyncBridge.run { try await api.cancel(id) }
        print(JobLine.describe(job))
    }
}

/// `sani delete ID`.
struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a finished job and purge its files.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Job id.") var id: String

    func run() throws {
        let api = try client.client()
        let id = id
        try AsyncBridge.run { try await api.delete(id) }
        print("deleted \(id)")
    }
}

/// One line per job: id, status, phase, progress, regurgitation, failure reason.
enum JobLine {
    static func describe(_ job: SaniClient.Job) -> String {
        var parts = [job.id, job.status]
        if let p = job.progress, job.status == "running" {
            let width = 24
            let filled = min(width, max(0, Int(p.fraction * Double(width))))
            parts.append("[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]")
            parts.append("\(Int(p.fraction * 100))%")
            if let phase = p.phase { parts.append(phase) }
            if let e = p.epoch, let n = p.epochs { parts.append("epoch \(e)/\(n)") }
            if let s = p.step, let n = p.steps { parts.append("step \(s)/\(n)") }
            if let eta = p.etaSeconds { parts.append("ETA \(Int(eta))s") }
        }
        if let a = job.audit, let before = a.tokenRegurgitationBefore, let after = a.tokenRegurgitationAfter {
            parts.append(String(format: "regurgitation %.1f%% -> %.1f%%", before * 100, after * 100))
        }
        if let e = job.error { parts.append("\(e.code): \(e.message)") }
        return parts.joined(separator: "  ")
    }
}
