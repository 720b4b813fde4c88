import FuzzSupport
import SaniEngine

private let scratch = FuzzScratch("gguf")

/// The GGUF reader on the input as a file (it only maps files): header, typed metadata and tensor infos; for a
/// file it accepts, every tensor is dequantized to Float and the tokenizer and llama configuration are read from
/// its metadata, as `sani` does with a GGUF model.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = scratch.write(UnsafeRawBufferPointer(start: data, count: size), to: "model.gguf")
    guard let file = try? GGUFFile(url: url) else { return 0 }
    for tensor in file.tensors { _ = try? file.floats(tensor.name) }
    if let tokenizer = try? ByteLevelBPETokenizer.load(gguf: file) {
        _ = tokenizer.decode(tokenizer.encode("Patient John Doe, 42, seen 2021-03-04."))
    }
    _ = try? LlamaConfig(gguf: file)
    return 0
}

@_cdecl("fuzz_gguf_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
