import Foundation
@testable import SaniServer
import XCTest

final class TarTests: XCTestCase {
    func testWriteThenExtractGivesTheSameFilesDeterministically() throws {
        let work = try TestServer.temporaryFolder("tar")
        let folder = work.appendingPathComponent("model/sub", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("{\"a\":1}".utf8).write(to: work.appendingPathComponent("model/config.json"))
        try Data(repeating: 5, count: 1000).write(to: work.appendingPathComponent("model/sub/weights.bin"))
        let longName = String(repeating: "n", count: 120) + ".txt"
        try Data().write(to: work.appendingPathComponent("model/sub/\(longName)"))
        let tar1 = work.appendingPathComponent("1.tar"), tar2 = work.appendingPathComponent("2.tar")
        try TarWriter().write(folder: work.appendingPathComponent("model"), to: tar1)
        try TarWriter().write(folder: work.appendingPathComponent("model"), to: tar2)
        XCTAssertEqual(try FileDigest.sha256(of: tar1).hex, try FileDigest.sha256(of: tar2).hex)
        let out = work.appendingPathComponent("out")
        let count = try TarExtractor(maxEntries: 10, maxTotalBytes: 1 << 20).extract(archive: tar1, into: out)
        XCTAssertEqual(count, 3)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("sub/weights.bin")), Data(repeating: 5, count: 1000))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("sub/\(longName)").path))
        XCTAssertThrowsError(try TarExtractor(maxEntries: 2, maxTotalBytes: 1 << 20).extract(archive: tar1, into: work.appendingPathComponent("o2")))
        XCTAssertThrowsError(try TarExtractor(maxEntries: 10, maxTotalBytes: 500).extract(archive: tar1, into: work.appendingPathComponent("o3")))
    }

    func testSystemTarReadsOurArchivesAndWeReadItsArchives() throws {
        let work = try TestServer.temporaryFolder("tar-interop")
        let model = work.appendingPathComponent("gpt2", isDirectory: true)
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: model.appendingPathComponent("config.json"))
        let ours = work.appendingPathComponent("ours.tar")
        try TarWriter().write(folder: model, to: ours)
        XCTAssertEqual(try run("/bin/tar", ["-tf", ours.path]), "config.json\n")
        let theirs = work.appendingPathComponent("theirs.tar")
        _ = try run("/bin/tar", ["-cf", theirs.path, "-C", work.path, "gpt2"])
        let out = work.appendingPathComponent("out")
        try TarExtractor(maxEntries: 10, maxTotalBytes: 1 << 20).extract(archive: theirs, into: out)
        XCTAssertEqual(TarExtractor.effectiveRoot(out).lastPathComponent, "gpt2")
    }

    /// A base-256 size field near Int64.max in a small archive is refused as corrupt, never trapping on overflow.
    func testHugeSizeFieldsAreRefusedWithoutCrashing() throws {
        let work = try TestServer.temporaryFolder("tar-huge")
        for type in ["g", "5", "0"] {
            var block = [UInt8](repeating: 0, count: 512)
            for (i, b) in Array("x".utf8).enumerated() { block[i] = b }
            block[124..<136] = [0x80, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0x01]
            block[156] = UInt8(ascii: Character(type).asciiValue.map { Unicode.Scalar($0) } ?? "0")
            for i in 148..<156 { block[i] = 32 }
            let sum = block.reduce(0) { $0 + Int($1) }
            let checksum = Array(String(sum, radix: 8).utf8)
            for i in 0..<6 { block[148 + i] = UInt8(ascii: "0") }
            for (i, b) in checksum.enumerated() { block[148 + 6 - checksum.count + i] = b }
            block[154] = 0
            let archive = work.appendingPathComponent("huge-\(type).tar")
            try Data(block + [UInt8](repeating: 0, count: 1024)).write(to: archive)
            XCTAssertThrowsError(try TarExtractor(maxEntries: 10, maxTotalBytes: 1 << 20)
                .extract(archive: archive, into: work.appendingPathComponent("out-\(type)"))) { error in
                XCTAssertTrue("\(error)".contains("size"), "\(error)")
            }
        }
    }

    func testByteRanges() {
        XCTAssertEqual(ByteRange.parse("bytes=0-9", size: 100), .range(0...9))
        XCTAssertEqual(ByteRange.parse("bytes=90-", size: 100), .range(90...99))
        XCTAssertEqual(ByteRange.parse("bytes=-10", size: 100), .range(90...99))
        XCTAssertEqual(ByteRange.parse("bytes=95-200", size: 100), .range(95...99))
        XCTAssertEqual(ByteRange.parse("bytes=100-", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=0-1,5-6", size: 100), .whole)
    }

    func testWebhookSignatureFollowsStandardWebhooks() {
        // Example from the Standard Webhooks specification.
        let signer = WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let body = Data(#"{"test": 2432232314}"#.utf8)
        XCTAssertEqual(signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1614265330, body: body),
                       "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        p.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}
