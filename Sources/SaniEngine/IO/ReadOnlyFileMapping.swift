#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file memory-mapped read-only. The mapping lives as long as this object.
///
/// Pages are loaded lazily by the kernel, so opening a multi-gigabyte weights file costs nothing until tensors are
/// read. The bytes must not be changed on disk while mapped (truncating a mapped file makes reads beyond the new
/// end fault); uploaded files are immutable once stored, which is what the engine relies on.
final class ReadOnlyFileMapping: @unchecked Sendable {
    /// The file's path, used in error messages.
    let path: String
    /// Size of the file in bytes.
    let count: Int
    /// First byte of the mapping; `nil` only when the file is empty.
    let base: UnsafeRawPointer?

    /// Maps the file at `path`. Throws `EngineError.io` when it cannot be opened, is not a regular file, or
    /// cannot be mapped.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EngineError.io(path: path, reason: Self.errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw EngineError.io(path: path, reason: Self.errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw EngineError.io(path: path, reason: "not a regular file")
        }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw EngineError.io(path: path, reason: "cannot memory-map: \(Self.errnoText())")
        }
        base = UnsafeRawPointer(address)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The mapped bytes as a buffer (empty for an empty file).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : count) }

    /// The current `errno` as readable text.
    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
