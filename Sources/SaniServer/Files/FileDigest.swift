import Crypto
import Foundation

/// SHA-256 of a file, read in chunks.
public enum FileDigest {
    public static func sha256(of url: URL) throws -> (hex: String, size: Int64) {
        let input = try FileHandle(forReadingFrom: url)
        defer { try? input.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (APIKeyHasher.hex(hasher.finalize()), size)
    }

    /// The `sha-256=:<base64>:` form used by the `Repr-Digest` header, from a hex digest.
    public static func base64(fromHex hex: String) -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return Data(bytes).base64EncodedString()
    }
}
