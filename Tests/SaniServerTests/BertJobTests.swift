import Crypto
import Foundation
import SaniEngine
import SaniServer
import XCTest

/// A masked language model through the service, end to end: a tiny BERT (2 blocks, hidden 32, 4 heads,
/// intermediate 64, 128 positions) uploaded as a tar with its WordPiece vocabulary, a dozen annotated notes, a
/// short job with the real method, the audit (family "bert"), every artifact checksummed as the API promises, and
/// the downloaded folder loading back as a BERT. A BERT tar without any tokenizer file fails at validation with
/// an `invalid_model` error naming the missing files, and a BERT job running beside it is not disturbed.
/// Every response is checked against openapi.yaml.
final class BertJobTests: XCTestCase {
    static var options: [String: Any] { ["epochs": 1, "batchSize": 4, "sequenceLength": 48, "auditPrefixTokens": 8,
                                         "heldOutFraction": 0, "learningRate": 0.001, "seed": 3] }

    func testBertJobRunsThroughTheAPIAndItsFolderLoadsBack() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("bert-flow")

        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try BertServiceFixture.writeCorpus(to: corpusURL)
        let modelFolder = try BertServiceFixture.tinyBert(in: work, name: "tiny-bert")
        XCTAssertEqual(try Set(FileManager.default.contentsOfDirectory(atPath: modelFolder.path)),
                       ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"])
        let tar = work.appendingPathComponent("model.tar")
        try TarWriter().write(folder: modelFolder, to: tar)

        let modelUpload = try await http.send("POST", "/v1/files?name=tiny-bert&format=tar", file: tar,
                                              headers: ["Content-Type": "application/x-tar"])
        XCTAssertEqual(modelUpload.status, 201, modelUpload.text)
        let model = try modelUpload.object()
        XCTAssertEqual(model["kind"] as? String, "folder")
        XCTAssertEqual(model["sha256"] as? String, try FileDigest.sha256(of: tar).hex)
        XCTAssertEqual(model["entries"] as? Int, 4)
        let corpusUpload = try await http.send("PUT", "/v1/files?name=notes.jsonl", file: corpusURL,
                                               headers: ["Content-Type": "application/octet-stream"])
        XCTAssertEqual(corpusUpload.status, 201, corpusUpload.text)
        let corpus = try corpusUpload.object()
        XCTAssertEqual(corpus["sha256"] as? String, try FileDigest.sha256(of: corpusURL).hex)

        let created = try await http.json("POST", "/v1/jobs", ["model": model["id"] ?? "", "corpus": corpus["id"] ?? "",
                                                               "options": Self.options])
        XCTAssertEqual(created.status, 201, created.text)
        let id = try XCTUnwrap(try created.object()["id"] as? String)

        let job = try await server.waitForJob(id, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(job["status"] as? String, "succeeded", "\(job)")
        let summary = try XCTUnwrap(job["audit"] as? [String: Any], "\(job)")
        for key in ["tokenRegurgitationBefore", "tokenRegurgitationAfter", "spanExtractionBefore", "spanExtractionAfter"] {
            let rate = try XCTUnwrap(summary[key] as? Double, key)
            XCTAssertTrue((0...1).contains(rate), "\(key) = \(rate)")
        }
        XCTAssertEqual((job["progress"] as? [String: Any])?["fraction"] as? Double, 1)

        // The report: the family is only exposed here (and in sanitization-report.json), not on the job.
        XCTAssertNil(job["modelFamily"])
        let audit = try await http.send("GET", "/v1/jobs/\(id)/audit")
        XCTAssertEqual(audit.status, 200, audit.text)
        let report = try audit.object()
        XCTAssertEqual(report["modelFamily"] as? String, "bert")
        XCTAssertEqual(report["method"] as? String, "sani")
        XCTAssertEqual((report["epochs"] as? [Any])?.count, 1)
        XCTAssertEqual(report["bestEpoch"] as? Int, 1)
        XCTAssertEqual(report["parameterCount"] as? Int, try BertModel.load(folder: modelFolder).parameters.count)
        let erase = try XCTUnwrap(report["erase"] as? [String: Any], "the default method erases")
        XCTAssertEqual(erase["blocks"] as? [Int], [1], "the last of the 2 blocks")
        XCTAssertEqual(erase["neuronsPerBlock"] as? Int, 32, "half of the 64 intermediate neurons")
        XCTAssertGreaterThan(report["sensitiveTokens"] as? Int ?? 0, 0)
        XCTAssertEqual((report["spansByLabel"] as? [String: Int])?["PATIENT"], BertServiceFixture.names.count)
        let before = try XCTUnwrap(report["before"] as? [String: Any])
        XCTAssertGreaterThan(((before["tokenRegurgitation"] as? [String: Any])?["total"] as? Int) ?? 0, 0,
                             "the masked audit asks about every sensitive token")
        XCTAssertGreaterThan(((before["spanExtraction"] as? [String: Any])?["total"] as? Int) ?? 0, 0)
        XCTAssertGreaterThan(((before["utility"] as? [String: Any])?["positions"] as? Int) ?? 0, 0)

        // Events: the phases of the method, in the spec's vocabulary.
        let events = try await http.send("GET", "/v1/jobs/\(id)/events?limit=1000")
        XCTAssertEqual(events.status, 200)
        let phases = Set((try events.object()["data"] as? [[String: Any]] ?? []).compactMap { $0["phase"] as? String })
        XCTAssertTrue(phases.isSuperset(of: ["audit", "erase", "repair", "saving"]), "\(phases)")

        // Artifacts: each top-level file of the folder and model.tar, each checksummed as listed.
        let listing = try await http.send("GET", "/v1/jobs/\(id)/artifacts")
        XCTAssertEqual(listing.status, 200)
        let artifacts = try XCTUnwrap(try listing.object()["data"] as? [[String: Any]])
        let names = Set(artifacts.compactMap { $0["name"] as? String })
        XCTAssertEqual(names, ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json",
                               "sanitization-report.json", "model.tar"])
        var downloads: [String: Data] = [:]
        for artifact in artifacts {
            let name = try XCTUnwrap(artifact["name"] as? String)
            let sha = try XCTUnwrap(artifact["sha256"] as? String)
            XCTAssertEqual(artifact["url"] as? String, "/v1/jobs/\(id)/artifacts/\(name)")
            let download = try await http.send("GET", "/v1/jobs/\(id)/artifacts/\(name)")
            XCTAssertEqual(download.status, 200, name)
            XCTAssertEqual(APIKeyHasherHex.sha256(download.body), sha, name)
            XCTAssertEqual(artifact["size"] as? Int, download.body.count, name)
            XCTAssertEqual(download.headers["content-length"], String(download.body.count), name)
            XCTAssertEqual(download.headers["etag"], "\"\(sha)\"", name)
            XCTAssertEqual(download.headers["repr-digest"], "sha-256=:\(FileDigest.base64(fromHex: sha)):", name)
            XCTAssertEqual(download.headers["digest"], "SHA-256=\(FileDigest.base64(fromHex: sha))", name)
            downloads[name] = download.body
        }
        // The tokenizer travels unchanged; the weights do not.
        XCTAssertEqual(downloads["vocab.txt"], try Data(contentsOf: modelFolder.appendingPathComponent("vocab.txt")))
        XCTAssertNotEqual(downloads["model.safetensors"], try Data(contentsOf: modelFolder.appendingPathComponent("model.safetensors")))
        let savedReport = try XCTUnwrap(downloads["sanitization-report.json"].flatMap {
            try JSONSerialization.jsonObject(with: $0) as? [String: Any]
        })
        XCTAssertEqual(savedReport["modelFamily"] as? String, "bert")

        let sha = try XCTUnwrap(artifacts.first { $0["name"] as? String == "model.tar" }?["sha256"] as? String)
        let part = try await http.send("GET", "/v1/jobs/\(id)/artifacts/model.tar", headers: ["Range": "bytes=0-511"])
        XCTAssertEqual(part.status, 206)
        XCTAssertEqual(part.body, downloads["model.tar"]?.subdata(in: 0..<512))
        let cached = try await http.send("GET", "/v1/jobs/\(id)/artifacts/model.tar", headers: ["If-None-Match": "\"\(sha)\""])
        XCTAssertEqual(cached.status, 304)

        // The downloaded archive is a BERT folder the engine loads, with its WordPiece tokenizer.
        let downloaded = work.appendingPathComponent("downloaded.tar")
        try XCTUnwrap(downloads["model.tar"]).write(to: downloaded)
        let unpacked = work.appendingPathComponent("sanitized")
        try TarExtractor(maxEntries: 100, maxTotalBytes: 1 << 30).extract(archive: downloaded, into: unpacked)
        let loaded = try LanguageModelLoader.load(folder: unpacked)
        XCTAssertEqual(loaded.family, "bert")
        XCTAssertEqual(loaded.objective, .masked)
        XCTAssertEqual(loaded.blockCount, 2)
        XCTAssertEqual(loaded.maxPositions, 128)
        XCTAssertEqual((loaded as? BertModel)?.config.hiddenSize, 32)
        XCTAssertEqual((loaded as? BertModel)?.config.intermediateSize, 64)
        let tokenizer = try LanguageModelLoader.tokenizer(folder: unpacked)
        XCTAssertTrue(tokenizer is WordPieceTokenizer, "\(type(of: tokenizer))")
        XCTAssertEqual(tokenizer.vocabularySize, loaded.vocabularySize)
        let values = loaded.parameters.values
        XCTAssertTrue((0..<values.count).allSatisfy { values.pointer[$0].isFinite }, "the sanitized weights are finite")

        let delete = try await http.send("DELETE", "/v1/jobs/\(id)")
        XCTAssertEqual(delete.status, 204)
        let files = try await http.send("GET", "/v1/files")
        XCTAssertEqual((try files.object()["data"] as? [Any])?.count, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: server.data.appendingPathComponent("jobs").path), [])

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        XCTAssertGreaterThan(recorder.count, 15)
        await server.stop()
    }

    /// The service does not look inside a tar at upload, and `POST /v1/jobs` answers 201 before the inputs are
    /// checked: the missing tokenizer is caught by the job's validation (before it is queued), which fails the
    /// job with `invalid_model` and a message naming the files it looked for. A good BERT job submitted just
    /// before it, sharing its corpus, succeeds, and deleting the failed job keeps the shared corpus.
    func testBertTarWithoutTokenizerFailsValidationAndLeavesOtherJobsAlone() async throws {
        let server = try await TestServer.start(executor: SanitizerExecutor())
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder("bert-no-tokenizer")

        let corpusURL = work.appendingPathComponent("notes.jsonl")
        try BertServiceFixture.writeCorpus(to: corpusURL)
        let good = try BertServiceFixture.tinyBert(in: work, name: "good-bert")
        let bad = try BertServiceFixture.tinyBert(in: work, name: "bad-bert")
        for name in ["vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.removeItem(at: bad.appendingPathComponent(name))
        }
        XCTAssertEqual(try Set(FileManager.default.contentsOfDirectory(atPath: bad.path)), ["config.json", "model.safetensors"])
        let goodTar = work.appendingPathComponent("good.tar"), badTar = work.appendingPathComponent("bad.tar")
        try TarWriter().write(folder: good, to: goodTar)
        try TarWriter().write(folder: bad, to: badTar)

        let goodModel = try await http.upload(goodTar, name: "good-bert", tar: true)
        // Accepted at upload: the tar is sound, the service does not judge its contents there.
        let badUpload = try await http.send("POST", "/v1/files?name=bad-bert&format=tar", file: badTar,
                                            headers: ["Content-Type": "application/x-tar"])
        XCTAssertEqual(badUpload.status, 201, badUpload.text)
        let badModel = try XCTUnwrap(try badUpload.object()["id"] as? String)
        let corpus = try await http.upload(corpusURL, name: "notes.jsonl")

        let goodJob = try await http.createJob(["model": goodModel, "corpus": corpus, "options": Self.options])
        let badCreated = try await http.json("POST", "/v1/jobs", ["model": badModel, "corpus": corpus, "options": Self.options])
        XCTAssertEqual(badCreated.status, 201, "validation is not done on the request path: \(badCreated.text)")
        XCTAssertEqual(try badCreated.object()["status"] as? String, "validating")
        let badJob = try XCTUnwrap(try badCreated.object()["id"] as? String)

        let failed = try await server.waitForJob(badJob, client: http, timeout: 120) { TestServer.isFinal($0) }
        XCTAssertEqual(failed["status"] as? String, "failed", "\(failed)")
        let error = try XCTUnwrap(failed["error"] as? [String: Any], "\(failed)")
        XCTAssertEqual(error["code"] as? String, "invalid_model")
        let message = error["message"] as? String ?? ""
        XCTAssertTrue(message.contains("vocab.txt") && message.contains("tokenizer.json"), message)
        XCTAssertFalse(message.contains("/files/") || message.contains(NSTemporaryDirectory()),
                       "the message does not show where the server keeps its data: \(message)")
        XCTAssertNil(failed["startedAt"], "it never ran")
        XCTAssertEqual(failed["attempts"] as? Int, 0)
        let badEvents = try await http.send("GET", "/v1/jobs/\(badJob)/events")
        let statuses = (try badEvents.object()["data"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "status" }
        XCTAssertFalse(statuses.contains { $0["status"] as? String == "running" }, "\(statuses)")
        XCTAssertTrue(statuses.contains { $0["status"] as? String == "failed"
            && ($0["message"] as? String ?? "").hasPrefix("validation failed") }, "\(statuses)")

        let noAudit = try await http.send("GET", "/v1/jobs/\(badJob)/audit")
        XCTAssertEqual(noAudit.status, 404)
        XCTAssertEqual(noAudit.errorCode, "audit_not_ready")
        let noArtifacts = try await http.send("GET", "/v1/jobs/\(badJob)/artifacts")
        XCTAssertEqual(noArtifacts.status, 200)
        XCTAssertEqual((try noArtifacts.object()["data"] as? [Any])?.count, 0)
        let noTar = try await http.send("GET", "/v1/jobs/\(badJob)/artifacts/model.tar")
        XCTAssertEqual(noTar.status, 404)
        let failedList = try await http.send("GET", "/v1/jobs?status=failed")
        XCTAssertEqual((try failedList.object()["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [badJob])

        // The job beside it is not disturbed.
        let done = try await server.waitForJob(goodJob, client: http, timeout: 300) { TestServer.isFinal($0) }
        XCTAssertEqual(done["status"] as? String, "succeeded", "\(done)")
        XCTAssertNil(done["error"])

        // Deleting the failed job removes its model but keeps the corpus the good job uses.
        let delete = try await http.send("DELETE", "/v1/jobs/\(badJob)")
        XCTAssertEqual(delete.status, 204)
        let files = try await http.send("GET", "/v1/files")
        XCTAssertEqual(Set((try files.object()["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }),
                       [goodModel, corpus])

        let audit = try await http.send("GET", "/v1/jobs/\(goodJob)/audit")
        XCTAssertEqual(audit.status, 200)
        XCTAssertEqual(try audit.object()["modelFamily"] as? String, "bert")
        let listing = try await http.send("GET", "/v1/jobs/\(goodJob)/artifacts")
        let archive = try XCTUnwrap((try listing.object()["data"] as? [[String: Any]])?.first { $0["name"] as? String == "model.tar" })
        let download = try await http.send("GET", "/v1/jobs/\(goodJob)/artifacts/model.tar")
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(APIKeyHasherHex.sha256(download.body), archive["sha256"] as? String)
        let downloaded = work.appendingPathComponent("good-sanitized.tar")
        try download.body.write(to: downloaded)
        let unpacked = work.appendingPathComponent("good-sanitized")
        try TarExtractor(maxEntries: 100, maxTotalBytes: 1 << 30).extract(archive: downloaded, into: unpacked)
        XCTAssertEqual(try LanguageModelLoader.load(folder: unpacked).family, "bert")

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
        await server.stop()
    }
}

/// Inputs of the BERT service tests: a dozen short annotated notes and a random BERT with a WordPiece
/// vocabulary made from them (special tokens, every character alone and as a `##` continuation, and the notes'
/// frequent words), so that names and record numbers are cut into pieces.
enum BertServiceFixture {
    static let names = ["Ana Ruiz", "Bo Chen", "Cy Okoro", "Di Park", "Ed Hale", "Flo Ng",
                        "Gus Moor", "Hal Ito", "Ivy Lund", "Jo Baker", "Kit Vance", "Lu Sato"]

    static var records: [[String: Any]] {
        names.enumerated().map { i, name in
            let mrn = "MRN \(4_100_000 + i * 7_919)"
            let text = i % 2 == 0
                ? "Patient \(name) seen today, \(mrn). Stable, follow up in two weeks."
                : "Patient \(name) admitted with chest pain, \(mrn). Stable, discharged home."
            let nameStart = "Patient ".count
            let mrnStart = text.distance(from: text.startIndex, to: text.range(of: mrn)!.lowerBound)
            return ["text": text, "subject": "p\(i)",
                    "spans": [["start": nameStart, "end": nameStart + name.count, "label": "PATIENT"],
                              ["start": mrnStart + 4, "end": mrnStart + mrn.count, "label": "MEDICALRECORD"]]]
        }
    }

    static func writeCorpus(to url: URL) throws {
        let lines = try records.map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self)
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    static func vocabulary(for texts: [String]) -> [String: Int] {
        WordPieceTokenizer.vocabulary(fromTexts: texts, maxWords: .max)
    }

    /// A random BERT (2 blocks, hidden 32, 4 heads, intermediate 64, 128 positions) saved with its tokenizer
    /// (vocab.txt, tokenizer_config.json) into `work/name`.
    static func tinyBert(in work: URL, name: String, seed: UInt64 = 7) throws -> URL {
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary(for: records.compactMap { $0["text"] as? String }))
        let config = BertConfig(vocabularySize: tokenizer.vocabularySize, hiddenSize: 32, layers: 2, heads: 4,
                                intermediateSize: 64, maxPositions: 128)
        let model = try BertModel(config: config)
        model.initializeRandomly(seed: seed)
        let folder = work.appendingPathComponent(name, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try model.save(to: folder)
        try tokenizer.save(to: folder)
        return folder
    }
}
