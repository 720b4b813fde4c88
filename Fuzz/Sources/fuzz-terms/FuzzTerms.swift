import Foundation
import FuzzSupport
import Sani

/// A terms file parsed from the input in the format its content suggests (JSON when it starts with `[` or `{`,
/// else text), case-insensitive and case-sensitive; a list it accepts then finds its terms in a sample note.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let format = TermListFormat.infer(url: URL(fileURLWithPath: "/terms"), data: bytes)
    for caseSensitive in [false, true] {
        guard let list = try? TermList.parse(data: bytes, format: format, caseSensitive: caseSensitive) else { continue }
        _ = list.spans(in: "Patient John Doe (MRN 0012345) seen at St. Mary's, Lyon; İstanbul ß ǅ 東京")
    }
    return 0
}

@_cdecl("fuzz_terms_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
