import FuzzSupport
import SaniEngine

private let scratch = FuzzScratch("wordpiece-vocab")
private let files = ["vocab.txt", "tokenizer_config.json"]

/// A BERT tokenizer folder: the input split at its first zero byte gives `vocab.txt` and, optionally,
/// `tokenizer_config.json`; the folder is loaded as a BERT model's tokenizer is, and a tokenizer it accepts
/// encodes and decodes a sample note.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = splitParts(UnsafeRawBufferPointer(start: data, count: size), count: files.count)
    for (name, part) in zip(files, parts) {
        if let part { scratch.write(part, to: name) } else { scratch.remove(name) }
    }
    guard let tokenizer = try? WordPieceTokenizer.load(folder: scratch.folder) else { return 0 }
    let ids = tokenizer.encode("Patient JOHN Doe, 42 ans, seen 2021-03-04 [SEP] 東京 Café ✓")
    _ = tokenizer.decode(ids)
    _ = tokenizer.encodeWithOffsets("MRN 0012345: follow-up")
    return 0
}

@_cdecl("fuzz_wordpiece_vocab_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
