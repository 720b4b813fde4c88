import Foundation
import HTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// Recognises "the disk is full" (ENOSPC, EDQUOT) in the errors of Foundation, the engine and the method, which
/// carry it as a POSIX code or only in their text.
enum StorageFull {
    static func matches(_ error: any Error) -> Bool {
        if let e = error as? POSIXError, e.code == .ENOSPC || e.code == .EDQUOT { return true }
        if let e = error as? CocoaError, e.code == .fileWriteOutOfSpace { return true }
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain, ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return true }
        if ns.domain == NSPOSIXErrorDomain, ns.code == Int(ENOSPC) || ns.code == Int(EDQUOT) { return true }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error, matches(underlying) { return true }
        // Foundation says "There isn't enough space" (with a typographic apostrophe) for ENOSPC.
        let text = "\(error) \(ns.localizedDescription)".lowercased()
        return text.contains("no space left on device") || text.contains("disk quota exceeded")
            || text.contains("database or disk is full") || text.contains("enough space")
    }

    /// The answer to an upload that did not fit.
    static func uploadError(_ stage: String) -> APIError {
        APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "insufficient_storage",
                 "the server's disk is full (no space left on device) while \(stage); nothing was stored")
    }

    /// The failure of a job that ran out of space.
    static func jobFailure(_ stage: String) -> (code: String, message: String) {
        ("disk_full", "the server's disk is full (no space left on device) while \(stage); nothing of it was kept: "
            + "free space in the server's data folder and submit the job again")
    }
}
