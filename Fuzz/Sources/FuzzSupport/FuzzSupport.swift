import Foundation

/// A private scratch folder for one fuzzing process, created once and reused by every input, for parsers that
/// only read files. Each input overwrites the same paths, so a run of millions of inputs leaves one folder.
public final class FuzzScratch: @unchecked Sendable {
    /// The folder (under the system temporary folder, named after the process id).
    public let folder: URL

    public init(_ name: String) {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("sani-fuzz-\(name)-\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: folder)
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` inside the folder (replacing it) and returns its URL.
    @discardableResult
    public func write(_ bytes: some Collection<UInt8>, to name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        try! Data(bytes).write(to: url)
        return url
    }

    /// Removes `name` from the folder when it is there.
    public func remove(_ name: String) {
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
    }

    /// An empty sub-folder `name` (whatever it held before is removed).
    public func emptyFolder(_ name: String) -> URL {
        let url = folder.appendingPathComponent(name, isDirectory: true)
        try? FileManager.default.removeItem(at: url)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The input split at its `0x00` bytes into at most `count` parts (the last part keeps any further zero bytes),
/// missing parts are `nil`: how a target whose parser reads several files takes them from one input.
public func splitParts(_ bytes: UnsafeRawBufferPointer, count: Int) -> [ArraySlice<UInt8>?] {
    let all = Array(bytes)
    let pieces = all.split(separator: 0, maxSplits: count - 1, omittingEmptySubsequences: false)
    return (0..<count).map { $0 < pieces.count ? pieces[$0] : nil }
}

/// libFuzzer's driver (in the runtime `-sanitize=fuzzer` links).
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// Runs libFuzzer with the process's arguments on `testOneInput`.
///
/// SwiftPM links an executable target with `main` defined as `<module>_main`, so libFuzzer's own `main` is not
/// used: each target defines that symbol with `@_cdecl` and calls this, which hands the arguments to libFuzzer's
/// driver exactly as its `main` would.
public func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                         _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}
