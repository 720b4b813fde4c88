import Crypto
import Foundation

/// Random, URL-safe identifiers with a prefix that says what they name (`job_`, `file_`, `msg_`).
enum Identifier {
    static func make(_ prefix: String) -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        var generator = SystemRandomNumberGenerator()
        let body = (0..<20).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
        return prefix + "_" + String(body)
    }
}

/// SHA-256 of API keys (only the hash is stored) and of request bodies.
public enum APIKeyHasher {
    public static func hash(_ key: String) -> String { hex(SHA256.hash(data: Data(key.utf8))) }

    /// A new random key: `sk_` and 40 characters from a 32-letter alphabet (200 bits).
    public static func newKey() -> String { "sk_" + Identifier.make("x").dropFirst(2) + Identifier.make("x").dropFirst(2) }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
