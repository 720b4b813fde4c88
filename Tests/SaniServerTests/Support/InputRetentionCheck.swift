import Foundation
@testable import SaniServer
import XCTest

/// An optional input of a job (its base model, its calibration notes) is an input like the model and the corpus:
/// it cannot be deleted while a job uses it, the retention sweep keeps it while the job runs and removes it with the
/// job's other inputs once they are due, and the job still names it afterwards.
enum InputRetentionCheck {
    /// `field` is the input's key on `POST /v1/jobs`; `upload` uploads one such input into the folder it is given and
    /// returns its file id.
    static func run(field: String, folder: String, upload: (TestHTTP, URL) async throws -> String,
                    file: StaticString = #filePath, line: UInt = #line) async throws {
        let server = try await TestServer.start(executor: FakeExecutor(mode: .blockUntilCancelled)) {
            $0.inputRetentionSeconds = 3600
        }
        let recorder = ConformanceRecorder()
        let http = server.client(recorder: recorder)
        let work = try TestServer.temporaryFolder(folder)
        let body = try await FakeInputs.upload(http, in: work)
        let input = try await upload(http, work)
        let stray = try await http.upload(try FakeInputs.corpus(in: work), name: "stray.jsonl")

        var request = body
        request[field] = input
        let job = try await http.createJob(request)
        _ = try await server.waitForJob(job, client: http) { $0["status"] as? String == "running" }

        let inUse = try await http.send("DELETE", "/v1/files/\(input)")
        XCTAssertEqual(inUse.status, 409, inUse.text, file: file, line: line)
        XCTAssertEqual(inUse.errorCode, "file_in_use", file: file, line: line)
        XCTAssertTrue(inUse.text.contains(job), inUse.text, file: file, line: line)

        // Uploads no job uses are purged once old enough; the input of a running job is not.
        let sweeper = RetentionSweeper(service: server.service.components)
        let later = Date().addingTimeInterval(2 * 24 * 3600)
        sweeper.sweep(now: later)
        let strayAnswer = try await http.send("GET", "/v1/files/\(stray)")
        XCTAssertEqual(strayAnswer.status, 404, "an unused upload is purged", file: file, line: line)
        let kept = try await http.send("GET", "/v1/files/\(input)")
        XCTAssertEqual(kept.status, 200, "the \(field) of a running job is kept: \(kept.text)", file: file, line: line)

        // Once the job has ended and its inputs are due, the input goes with the model and the corpus.
        let cancel = try await http.send("POST", "/v1/jobs/\(job)/cancel")
        XCTAssertEqual(cancel.status, 202, cancel.text, file: file, line: line)
        _ = try await server.waitForJob(job, client: http) { TestServer.isFinal($0) }
        sweeper.sweep(now: later)
        for id in [input, body["model"] as? String ?? "", body["corpus"] as? String ?? ""] {
            let gone = try await http.send("GET", "/v1/files/\(id)")
            XCTAssertEqual(gone.status, 404, "\(id) is purged with the job's inputs", file: file, line: line)
        }
        let purged = try await http.send("GET", "/v1/jobs/\(job)")
        XCTAssertEqual(try purged.object()["inputsPurged"] as? Bool, true, file: file, line: line)
        XCTAssertEqual(try purged.object()[field] as? String, input, "the job still names its \(field)",
                       file: file, line: line)

        let violations = recorder.violations(try OpenAPIDocument.load())
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"), file: file, line: line)
        await server.stop()
    }
}
