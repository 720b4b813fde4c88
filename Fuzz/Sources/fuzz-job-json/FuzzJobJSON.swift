import Foundation
import FuzzSupport
import Sani
@testable import SaniServer

/// The body of `POST /v1/jobs` decoded as the route decodes it (strict: unknown fields and nulls refused), with
/// the options validated; and the same bytes decoded as bare `SanitizationOptions`, as a stored job's options are.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    if let body = try? StrictJSON.decode(CreateJobRequest.self, from: bytes, allowed: CreateJobRequest.keys,
                                         nested: ["webhook": CreateJobRequest.Webhook.keys]) {
        let options = body.options ?? SanitizationOptions()
        try? options.validate()
        _ = try? APIJSON.encoder.encode(body)
    }
    if let options = try? JSONDecoder().decode(SanitizationOptions.self, from: bytes) {
        try? options.validate()
        _ = try? JSONEncoder().encode(options)
    }
    return 0
}

@_cdecl("fuzz_job_json_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
