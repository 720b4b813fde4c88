import Crypto
import Foundation
import SaniEngine
import SaniServer
import XCTest

/// The whole flow a hospital pipeline runs, with the real method on a tiny GPT-2: upload the model folder (tar)
/// and the corpus, create a job, poll it to success, read the audit, list and download the artifacts (checksum,
/// ranges, ETag), delete the job and check that every file is gone. Every response is checked against openapi.yaml.
final class ServerFlowTests: XCTestCase {
    static var repositoryRoot: URL { OpenAPIDocument.repositoryRoot }

    func testWholeFlowWithATinyModel() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("flow")

        let modelFolder = try Self.tinyModel(in: work)
        let tar = work.appendingPathComponent("model.tar")
        try TarWriter().write(folder: modelFolder, to: tar)
        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try Self.corpus(to: corpusURL)

        let modelUpload = try await http.send("POST", "/v1/files?name=tiny-gpt2&format=tar", file: tar,
                                              headers: ["Content-Type": "application/x-tar"])
        XCTAssertEqual(modelUpload.status, 201, modelUpload.text)
        let model = try modelUpload.object()
        XCTAssertEqual(model["kind"] as? String, "folder")
        XCTAssertEqual(model["sha256"] as? String, try FileDigest.sha256(of: tar).hex)
        let corpus = try await http.send("PUT", "/v1/files?name=notes.jsonl", file: corpusURL,
                                         headers: ["Content-Type": "application/octet-stream"])
        XCTAssertEqual(corpus.status, 201, corpus.text)
        XCTAssertEqual(try corpus.object()["sha256"] as? String, try FileDigest.sha256(of: corpusURL).hex)

        let options: [String: Any] = ["epochs": 1, "batchSize": 2, "sequenceLength": 32, "auditPrefixTokens": 8,
                                      "heldOutFraction": 0, "learningRate": 0.001]
        let created = try await http.json("POST", "/v1/jobs", ["model": model["id"] ?? "", "corpus": try corpus.object()["id"] ?? "",
                                                               "options": options])
        XCTAssertEqual(created.status, 201, created.text)
        let id = try XCTUnwrap(try created.object()["id"] as? String)

        let job = try await server.waitForJob(id, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "succeeded", "\(job)")
        XCTAssertNotNil((job["audit"] as? [String: Any])?["tokenRegurgitationBefore"])

        let audit = try await http.send("GET", "/v1/jobs/\(id)/audit")
        XCTAssertEqual(audit.status, 200)
        let report = try audit.object()
        XCTAssertNotNil(report["before"] as? [String: Any])
        XCTAssertEqual((report["epochs"] as? [Any])?.count, 1)

        let listing = try await http.send("GET", "/v1/jobs/\(id)/artifacts")
        let artifacts = try XCTUnwrap(try listing.object()["data"] as? [[String: Any]])
        let names = artifacts.compactMap { $0["name"] as? String }
        XCTAssertTrue(names.contains("model.tar") && names.contains("config.json") && names.contains("model.safetensors"), "\(names)")
        let archive = try XCTUnwrap(artifacts.first { $0["name"] as? String == "model.tar" })
        let sha = try XCTUnwrap(archive["sha256"] as? String)

        let download = try await http.send("GET", "/v1/jobs/\(id)/artifacts/model.tar")
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(APIKeyHasherHex.sha256(download.body), sha)
        XCTAssertEqual(download.headers["content-length"], String(download.body.count))
        XCTAssertEqual(download.headers["etag"], "\"\(sha)\"")
        XCTAssertEqual(download.headers["repr-digest"], "sha-256=:\(FileDigest.base64(fromHex: sha)):")
        let downloaded = work.appendingPathComponent("downloaded.tar")
        try download.body.write(to: downloaded)
        let unpacked = work.appendingPathComponent("sanitized")
        try TarExtractor(maxEntries: 100, maxTotalBytes: 1 << 30).extract(archive: downloaded, into: unpacked)
        XCTAssertNoThrow(try GPT2Model.load(folder: unpacked), "the sanitized folder loads")

        let part = try await http.send("GET", "/v1/jobs/\(id)/artifacts/model.tar", headers: ["Range": "bytes=100-199"])
        XCTAssertEqual(part.status, 206)
        XCTAssertEqual(part.body, download.body.subdata(in: 100..<200))
        XCTAssertEqual(part.headers["content-range"], "bytes 100-199/\(download.body.count)")
        let cached = try await http.send("GET", "/v1/jobs/\(id)/artifacts/model.tar", headers: ["If-None-Match": "\"\(sha)\""])
        XCTAssertEqual(cached.status, 304)
        let outside = try await http.send("GET", "/v1/jobs/\(id)/artifacts/model.tar", headers: ["Range": "bytes=99999999-"])
        XCTAssertEqual(outside.status, 416)

        let delete = try await http.send("DELETE", "/v1/jobs/\(id)")
        XCTAssertEqual(delete.status, 204)
        let files = try await http.send("GET", "/v1/files")
        XCTAssertEqual((try files.object()["data"] as? [Any])?.count, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: server.data.appendingPathComponent("files").path), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: server.data.appendingPathComponent("jobs").path), [])

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }

    /// A random GPT-2 sized to the tiny byte-level BPE fixture (vocabulary ~320), with its tokenizer.
    static func tinyModel(in work: URL) throws -> URL {
        let tokenizer = try ByteLevelBPETokenizer.load(folder: repositoryRoot.appendingPathComponent("Tests/SaniEngineTests/Fixtures/tokenizer/tiny"))
        let eot = tokenizer.endOfTextID
        let config = GPT2Config(vocabularySize: tokenizer.vocabularySize, maxPositions: 64, layers: 2, heads: 2, channels: 32,
                                bosTokenID: eot, eosTokenID: eot)
        let model = try GPT2Model(config: config)
        model.initializeRandomly(seed: 7)
        let folder = work.appendingPathComponent("tiny-gpt2", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try model.save(to: folder)
        try tokenizer.save(to: folder)
        return folder
    }

    static func corpus(to url: URL) throws {
        var lines: [String] = []
        for (i, name) in ["Ana Ruiz", "Bo Chen", "Cy Okoro", "Di Park"].enumerated() {
            let text = "Patient \(name) seen today, MRN \(4_100_000 + i). Stable."
            let start = "Patient ".count
            let record: [String: Any] = ["text": text, "subject": "p\(i)",
                                         "spans": [["start": start, "end": start + name.count, "label": "PATIENT"]]]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }
}

enum APIKeyHasherHex {
    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}
