import Foundation
import XCTest
@testable import SaniServer
import Sani

/// Job errors never show the server's own paths.
final class FailureReasonTests: XCTestCase {
    func testServerPathsAreCutToTheirLastComponent() {
        XCTAssertEqual(FailureReason.scrubPaths("/srv/sani/data/files/file_ab12 has neither a WordPiece tokenizer.json nor a vocab.txt"),
                       "file_ab12 has neither a WordPiece tokenizer.json nor a vocab.txt")
        XCTAssertEqual(FailureReason.scrubPaths("cannot read (/var/lib/sani/files/file_9/model.safetensors): truncated"),
                       "cannot read (model.safetensors): truncated")
        XCTAssertEqual(FailureReason.scrubPaths("io error at '/tmp/x/y/config.json'"), "io error at 'config.json'")
        XCTAssertEqual(FailureReason.scrubPaths("ratio 3/4 and model_type x/y are kept"), "ratio 3/4 and model_type x/y are kept")
        let reason = FailureReason.from(SaniError.io(path: "/data/sani/files/file_1/corpus.jsonl", reason: "gone"))
        XCTAssertFalse(reason.message.contains("/data/sani"), reason.message)
    }
}
