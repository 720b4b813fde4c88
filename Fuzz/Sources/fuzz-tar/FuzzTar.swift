import Foundation
import FuzzSupport
import SaniServer

private let scratch = FuzzScratch("tar")

/// A tar upload extracted as the server extracts a model folder (the extractor reads a file): the input is the
/// archive, extracted into an emptied folder with small limits; then the folder's effective root is found.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let archive = scratch.write(UnsafeRawBufferPointer(start: data, count: size), to: "upload.tar")
    let destination = scratch.emptyFolder("extracted")
    let extractor = TarExtractor(maxEntries: 64, maxTotalBytes: 4 << 20)
    guard (try? extractor.extract(archive: archive, into: destination)) != nil else { return 0 }
    _ = TarExtractor.effectiveRoot(destination)
    return 0
}

@_cdecl("fuzz_tar_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
