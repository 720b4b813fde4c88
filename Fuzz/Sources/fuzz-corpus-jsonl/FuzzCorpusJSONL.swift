import Foundation
import FuzzSupport
import Sani

/// A JSONL corpus with its annotations (given sensitive spans) parsed from the input; a corpus it accepts goes
/// through what a job does with it next: its statistics and the blacklist built from its records and spans.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let corpus = try? Corpus.parse(data: bytes, format: .jsonl) else { return 0 }
    _ = corpus.statistics
    _ = try? BlacklistBuilder(options: .recommended(for: corpus)).build(for: corpus)
    return 0
}

@_cdecl("fuzz_corpus_jsonl_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
