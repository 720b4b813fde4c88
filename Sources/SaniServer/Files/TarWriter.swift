import Foundation

/// Packs a folder's regular files into a ustar archive, deterministically (sorted names, mtime 0, uid 0), so
/// that the same folder always gives the same bytes and the same SHA-256.
public struct TarWriter {
    public init() {}

    /// Writes the archive of `folder` to `output`, calling `observe` with every block of bytes written.
    public func write(folder: URL, to output: URL, observe: (Data) -> Void = { _ in }) throws {
        let fm = FileManager.default
        guard fm.createFile(atPath: output.path, contents: nil) else {
            throw TarError.corrupt("cannot create \(output.path)")
        }
        let out = try FileHandle(forWritingTo: output)
        defer { try? out.close() }
        func emit(_ data: Data) throws { try out.write(contentsOf: data); observe(data) }
        for relative in try Self.regularFiles(in: folder) {
            let source = folder.appendingPathComponent(relative)
            let size = (try fm.attributesOfItem(atPath: source.path)[.size] as? NSNumber)?.int64Value ?? 0
            var header = TarHeader(name: relative, size: size, mode: 0o644, typeflag: TarHeader.regular, linkname: "")
            if !header.fitsUstar {
                // GNU long name: a '././@LongLink' entry carrying the name, then the entry with a truncated name.
                let name = Data(relative.utf8) + Data([0])
                try emit(Data(try TarHeader(name: "././@LongLink", size: Int64(name.count), mode: 0o644,
                                        typeflag: UInt8(ascii: "L"), linkname: "").encoded()))
                try emit(name)
                let padding = TarHeader.padding(Int64(name.count))
                if padding > 0 { try emit(Data(count: padding)) }
                header.name = String(decoding: Array(relative.utf8.prefix(100)), as: UTF8.self)
            }
            try emit(Data(try header.encoded()))
            let input = try FileHandle(forReadingFrom: source)
            defer { try? input.close() }
            var written: Int64 = 0
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try emit(chunk)
                written += Int64(chunk.count)
            }
            guard written == size else { throw TarError.corrupt("\(relative) changed while being archived") }
            let padding = TarHeader.padding(size)
            if padding > 0 { try emit(Data(count: padding)) }
        }
        try emit(Data(count: TarHeader.blockSize * 2))
    }

    /// Relative paths of the regular files under `folder`, sorted; symbolic links are skipped.
    public static func regularFiles(in folder: URL) throws -> [String] {
        let fm = FileManager.default
        guard let enumerator = fm.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey]) else {
            return []
        }
        let base = folder.standardizedFileURL.resolvingSymlinksInPath().path
        var out: [String] = []
        for case let url as URL in enumerator {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            guard values.isRegularFile == true, values.isSymbolicLink != true else { continue }
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard path.hasPrefix(base + "/") else { continue }
            out.append(String(path.dropFirst(base.count + 1)))
        }
        return out.sorted()
    }
}
