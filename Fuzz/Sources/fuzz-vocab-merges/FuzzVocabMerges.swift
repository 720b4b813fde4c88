import FuzzSupport
import SaniEngine

private let scratch = FuzzScratch("vocab-merges")
private let files = ["vocab.json", "merges.txt", "added_tokens.json", "special_tokens_map.json"]

/// A GPT-2-style tokenizer folder: the input split at its zero bytes gives `vocab.json`, `merges.txt`, then
/// optionally `added_tokens.json` and `special_tokens_map.json`; the folder is loaded as a model's tokenizer is,
/// and a tokenizer it accepts encodes and decodes a sample note.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = splitParts(UnsafeRawBufferPointer(start: data, count: size), count: files.count)
    for (name, part) in zip(files, parts) {
        if let part { scratch.write(part, to: name) } else { scratch.remove(name) }
    }
    guard let tokenizer = try? ByteLevelBPETokenizer.load(folder: scratch.folder) else { return 0 }
    let ids = tokenizer.encode("Patient John Doe, 42 ans, seen 2021-03-04 <|endoftext|> 東京 ✓")
    _ = tokenizer.decode(ids)
    _ = tokenizer.encodeWithOffsets("MRN 0012345: follow-up")
    return 0
}

@_cdecl("fuzz_vocab_merges_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
