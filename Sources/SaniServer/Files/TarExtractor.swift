import Foundation

/// Extracts a tar archive into a folder, refusing anything that could escape it or that is not plain data:
/// absolute paths, `..`, symbolic and hard links, devices, FIFOs, sparse files; limits entries and total size.
public struct TarExtractor {
    public var maxEntries: Int
    public var maxTotalBytes: Int64

    public init(maxEntries: Int, maxTotalBytes: Int64) {
        self.maxEntries = maxEntries; self.maxTotalBytes = maxTotalBytes
    }

    /// Returns the number of regular files written.
    @discardableResult
    public func extract(archive: URL, into destination: URL) throws -> Int {
        let input = try FileHandle(forReadingFrom: archive)
        defer { try? input.close() }
        let fm = FileManager.default
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        var entries = 0
        var files = 0
        var total: Int64 = 0
        var pendingName: String?  // from a pax 'x' header or a GNU 'L' entry

        func readExactly(_ count: Int) throws -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(count)
            while out.count < count {
                guard let chunk = try input.read(upToCount: count - out.count), !chunk.isEmpty else {
                    throw TarError.corrupt("archive ends in the middle of an entry (truncated upload?)")
                }
                out.append(contentsOf: chunk)
            }
            return out
        }
        func skip(_ count: Int64) throws {
            var left = count
            while left > 0 {
                let n = Int(min(left, 1 << 20))
                _ = try readExactly(n)
                left -= Int64(n)
            }
        }

        while true {
            guard let block = try input.read(upToCount: TarHeader.blockSize), !block.isEmpty else { break }
            guard block.count == TarHeader.blockSize else { throw TarError.corrupt("archive ends inside a header") }
            guard let header = try TarHeader.parse(Array(block)) else { break }
            entries += 1
            if entries > maxEntries { throw TarError.tooLarge("more than \(maxEntries) entries (uploads.maxTarEntries)") }
            let padding = TarHeader.padding(header.size)
            switch header.typeflag {
            case UInt8(ascii: "x"):
                guard header.size <= 1 << 20 else { throw TarError.corrupt("pax header too large") }
                let data = try readExactly(Int(header.size))
                _ = try readExactly(padding)
                pendingName = Self.paxPath(data)
                continue
            case UInt8(ascii: "g"):
                try skip(header.size + Int64(padding))
                continue
            case UInt8(ascii: "L"):
                guard header.size <= 1 << 16 else { throw TarError.corrupt("long name too large") }
                let data = try readExactly(Int(header.size))
                _ = try readExactly(padding)
                pendingName = TarHeader.text(ArraySlice(data))
                continue
            default:
                break
            }
            let name = pendingName ?? header.name
            pendingName = nil
            let components = try Self.safeComponents(name)
            switch header.typeflag {
            case UInt8(ascii: "1"): throw TarError.unsafeEntry(name: name, reason: "hard links are not accepted")
            case UInt8(ascii: "2"): throw TarError.unsafeEntry(name: name, reason: "symbolic links are not accepted")
            case UInt8(ascii: "3"), UInt8(ascii: "4"): throw TarError.unsafeEntry(name: name, reason: "device files are not accepted")
            case UInt8(ascii: "6"): throw TarError.unsafeEntry(name: name, reason: "FIFOs are not accepted")
            case UInt8(ascii: "S"): throw TarError.unsafeEntry(name: name, reason: "sparse files are not accepted")
            case TarHeader.directory:
                if !components.isEmpty {
                    try fm.createDirectory(at: Self.url(destination, components), withIntermediateDirectories: true)
                }
                try skip(header.size + Int64(padding))
            case TarHeader.regular, 0, UInt8(ascii: "7"):
                guard !components.isEmpty else { throw TarError.unsafeEntry(name: name, reason: "empty file name") }
                total += header.size
                if total > maxTotalBytes {
                    throw TarError.tooLarge("more than \(ByteCount.format(maxTotalBytes)) once extracted")
                }
                let target = Self.url(destination, components)
                try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard fm.createFile(atPath: target.path, contents: nil) else {
                    throw TarError.unsafeEntry(name: name, reason: "cannot be created (a folder of the same name?)")
                }
                let out = try FileHandle(forWritingTo: target)
                defer { try? out.close() }
                var left = header.size
                while left > 0 {
                    let n = Int(min(left, 1 << 20))
                    try out.write(contentsOf: Data(try readExactly(n)))
                    left -= Int64(n)
                }
                _ = try readExactly(padding)
                files += 1
            default:
                throw TarError.unsafeEntry(name: name, reason: "entry type '\(Character(UnicodeScalar(header.typeflag)))' is not accepted")
            }
        }
        return files
    }

    /// The path components of an entry name, or an error when the name is absolute or climbs with `..`.
    static func safeComponents(_ name: String) throws -> [String] {
        if name.hasPrefix("/") { throw TarError.unsafeEntry(name: name, reason: "absolute paths are not accepted") }
        if name.contains("\0") || name.contains("\\") { throw TarError.unsafeEntry(name: name, reason: "invalid characters") }
        var out: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw TarError.unsafeEntry(name: name, reason: "\"..\" is not accepted") }
            out.append(String(part))
        }
        return out
    }

    static func url(_ base: URL, _ components: [String]) -> URL {
        components.reduce(base) { $0.appendingPathComponent($1) }
    }

    /// The `path` record of a pax extended header ("<len> path=<value>\n" records).
    static func paxPath(_ data: [UInt8]) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let record = line[line.index(after: space)...]
            if record.hasPrefix("path=") { return String(record.dropFirst(5)) }
        }
        return nil
    }

    /// A Hugging Face folder packed with its own top-level folder (`gpt2/config.json`) is used from inside it.
    public static func effectiveRoot(_ folder: URL) -> URL {
        let fm = FileManager.default
        guard let items = try? fm.contentsOfDirectory(atPath: folder.path).filter({ !$0.hasPrefix(".") }), items.count == 1 else {
            return folder
        }
        var isDir: ObjCBool = false
        let only = folder.appendingPathComponent(items[0])
        if fm.fileExists(atPath: only.path, isDirectory: &isDir), isDir.boolValue { return only }
        return folder
    }
}
