import FuzzSupport
import SaniEngine

private let scratch = FuzzScratch("tokenizer-json")

/// A Hugging Face `tokenizer.json` (byte-level BPE) loaded from the input; a tokenizer it accepts then encodes
/// and decodes a sample note.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = scratch.write(UnsafeRawBufferPointer(start: data, count: size), to: "tokenizer.json")
    guard let tokenizer = try? ByteLevelBPETokenizer.load(tokenizerJSON: url) else { return 0 }
    let ids = tokenizer.encode("Patient John Doe, 42 ans, seen 2021-03-04 <|endoftext|> 東京 ✓")
    _ = tokenizer.decode(ids)
    _ = tokenizer.encodeWithOffsets("MRN 0012345: follow-up")
    return 0
}

@_cdecl("fuzz_tokenizer_json_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
