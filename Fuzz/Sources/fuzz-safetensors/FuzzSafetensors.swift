import FuzzSupport
@testable import SaniEngine

private let scratch = FuzzScratch("safetensors")

/// The safetensors header parser on the raw bytes of a file image; a header it accepts is then opened as a file
/// and every tensor is converted to Float, as loading a model does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard (try? SafetensorsHeader.parse(file: bytes, path: "fuzz.safetensors")) != nil else { return 0 }
    let url = scratch.write(bytes, to: "model.safetensors")
    guard let file = try? SafetensorsFile(url: url) else { return 0 }
    for name in file.names { _ = try? file.floats(name) }
    return 0
}

@_cdecl("fuzz_safetensors_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
