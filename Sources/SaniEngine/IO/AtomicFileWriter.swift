import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file atomically: bytes go to a temporary file in the destination's folder, which is flushed to disk
/// and renamed over the destination on `commit()`. If the writer is dropped without committing, the temporary
/// file is removed, so readers never see a partial file.
final class AtomicFileWriter {
    /// The final destination.
    let destination: URL
    private let temporaryPath: String
    private var descriptor: Int32
    private var committed = false

    /// Largest single `write(2)` call; Linux transfers at most about 2 GB per call anyway.
    private static let chunkSize = 1 << 26

    /// Creates the temporary file next to `destination`.
    /// - Throws: `EngineError.io` when the folder is not writable.
    init(destination: URL) throws {
        self.destination = destination
        let folder = destination.deletingLastPathComponent()
        temporaryPath = folder.appendingPathComponent(
            ".\(destination.lastPathComponent).\(UUID().uuidString).tmp").path
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EngineError.io(path: destination.path, reason: "cannot create temporary file: \(Self.errnoText())")
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed { unlink(temporaryPath) }
    }

    /// Appends `bytes`, retrying short and interrupted writes.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = posixWrite(descriptor, next, min(remaining, Self.chunkSize))
            if written < 0 {
                if errno == EINTR { continue }
                throw EngineError.io(path: destination.path, reason: "write failed: \(Self.errnoText())")
            }
            next += written
            remaining -= written
        }
    }

    /// Appends the bytes of `array`.
    func write(_ array: [UInt8]) throws {
        try array.withUnsafeBytes { try write($0) }
    }

    /// Flushes the data to disk, closes the file and renames it over the destination.
    func commit() throws {
        guard fsync(descriptor) == 0 else {
            throw EngineError.io(path: destination.path, reason: "fsync failed: \(Self.errnoText())")
        }
        let result = close(descriptor)
        descriptor = -1
        guard result == 0 else {
            throw EngineError.io(path: destination.path, reason: "close failed: \(Self.errnoText())")
        }
        guard rename(temporaryPath, destination.path) == 0 else {
            throw EngineError.io(path: destination.path, reason: "rename failed: \(Self.errnoText())")
        }
        committed = true
        syncFolder()
    }

    /// Makes the rename durable; failures only weaken durability, so they are ignored.
    private func syncFolder() {
        let folder = open(destination.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// `write(2)`, spelled so that it does not resolve to a method of `AtomicFileWriter`.
@inline(__always)
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
