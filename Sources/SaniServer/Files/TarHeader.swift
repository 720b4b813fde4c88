import Foundation

/// One 512-byte ustar header block, read or written.
struct TarHeader {
    static let blockSize = 512

    var name: String
    var size: Int64
    var mode: Int
    var typeflag: UInt8
    var linkname: String

    static let regular: UInt8 = UInt8(ascii: "0")
    static let directory: UInt8 = UInt8(ascii: "5")

    /// Parses a header block; nil for an all-zero block (end of archive).
    static func parse(_ block: [UInt8]) throws -> TarHeader? {
        precondition(block.count == blockSize)
        if block.allSatisfy({ $0 == 0 }) { return nil }
        let stored = octal(block[148..<156]) ?? -1
        var sum = 0
        for (i, b) in block.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        guard stored == Int64(sum) else { throw TarError.corrupt("header checksum mismatch (not a tar archive?)") }
        // Sizes beyond 1 PiB are refused here so that no later size arithmetic can overflow.
        guard let size = number(block[124..<136]), size >= 0, size <= 1 << 50 else {
            throw TarError.corrupt("invalid size field")
        }
        var name = text(block[0..<100])
        let magic = text(block[257..<262])
        if magic == "ustar" {
            let prefix = text(block[345..<500])
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        return TarHeader(name: name, size: size, mode: Int(octal(block[100..<108]) ?? 0o644),
                         typeflag: block[156], linkname: text(block[157..<257]))
    }

    /// True when the name fits the ustar name and prefix fields.
    var fitsUstar: Bool {
        let bytes = Array(name.utf8)
        if bytes.count <= 100 { return true }
        return (0..<bytes.count).contains { bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100 }
    }

    /// Serialises a header for a regular file or a directory (ustar; names up to 255 bytes split with the prefix).
    func encoded() throws -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        let bytes = Array(name.utf8)
        var namePart = bytes
        var prefixPart: [UInt8] = []
        if bytes.count > 100 {
            guard let split = (0..<bytes.count).last(where: { bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100 }) else {
                throw TarError.corrupt("path too long for a tar entry: \(name)")
            }
            prefixPart = Array(bytes[..<split])
            namePart = Array(bytes[(split + 1)...])
        }
        func put(_ value: [UInt8], at offset: Int) { for (i, b) in value.enumerated() { block[offset + i] = b } }
        func putOctal(_ value: Int64, at offset: Int, width: Int) {
            put(Array(String(value, radix: 8).leftPadded(to: width - 1).utf8), at: offset)
        }
        put(namePart, at: 0)
        putOctal(Int64(mode), at: 100, width: 8)
        putOctal(0, at: 108, width: 8)
        putOctal(0, at: 116, width: 8)
        putOctal(size, at: 124, width: 12)
        putOctal(0, at: 136, width: 12)
        block[156] = typeflag
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(prefixPart, at: 345)
        for i in 148..<156 { block[i] = 32 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(Array(String(sum, radix: 8).leftPadded(to: 6).utf8) + [0, 32], at: 148)
        return block
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }

    static func octal(_ bytes: ArraySlice<UInt8>) -> Int64? {
        let s = text(bytes).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        if s.isEmpty { return 0 }
        return Int64(s, radix: 8)
    }

    /// Octal, or GNU base-256 when the high bit of the first byte is set (sizes of 8 GiB and more).
    static func number(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard let first = bytes.first else { return nil }
        if first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x7f)
            for b in bytes.dropFirst() {
                guard value < (Int64.max >> 8) else { return nil }
                value = (value << 8) | Int64(b)
            }
            return value
        }
        return octal(bytes)
    }

    /// Bytes of padding after `size` bytes of content.
    static func padding(_ size: Int64) -> Int { Int((Int64(blockSize) - size % Int64(blockSize)) % Int64(blockSize)) }
}

/// A tar archive that cannot be accepted; the message says which entry and why.
public enum TarError: Error, CustomStringConvertible, Equatable {
    case corrupt(String)
    case unsafeEntry(name: String, reason: String)
    case tooLarge(String)

    public var description: String {
        switch self {
        case let .corrupt(m): return "invalid tar archive: \(m)"
        case let .unsafeEntry(name, reason): return "refused tar entry \"\(name)\": \(reason)"
        case let .tooLarge(m): return "tar archive too large: \(m)"
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
