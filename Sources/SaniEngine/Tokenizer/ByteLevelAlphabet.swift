/// GPT-2's reversible map between the 256 byte values and 256 printable Unicode scalars.
///
/// Byte-level BPE vocabularies spell every token as a string of these scalars: printable ASCII and
/// most of Latin-1 map to themselves, and the remaining bytes (control characters, space, 0x7F-0xA0,
/// 0xAD) map to U+0100 and up in byte order, so the space byte 0x20 is spelled `Ġ` (U+0120).
enum ByteLevelAlphabet {
    /// The scalar that spells each byte value, indexed by byte.
    static let scalarForByte: [Unicode.Scalar] = {
        var scalars = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            let value = printable ? UInt32(byte) : next
            if !printable { next += 1 }
            // Every value is below U+0144, a valid scalar.
            scalars[byte] = Unicode.Scalar(value) ?? " "
        }
        return scalars
    }()

    /// The byte value spelled by each scalar of the alphabet, indexed by scalar value (U+0000..U+0143);
    /// -1 where the scalar is not part of the alphabet.
    static let byteForScalarValue: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalarForByte.enumerated() {
            table[Int(scalar.value)] = Int16(byte)
        }
        return table
    }()

    /// The byte that `scalar` spells, or nil when the scalar is not part of the alphabet.
    @inline(__always)
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteForScalarValue.count else { return nil }
        let byte = byteForScalarValue[value]
        return byte < 0 ? nil : UInt8(byte)
    }

    /// The bytes a token spelled in this alphabet stands for, or nil when one of its scalars is not
    /// part of the alphabet (such tokens, e.g. some added tokens, stand for their own UTF-8).
    static func bytes(ofToken token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// The spelling of a byte string in this alphabet.
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalarForByte[Int(byte)]) }
        return String(view)
    }
}
