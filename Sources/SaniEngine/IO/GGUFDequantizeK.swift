/// ggml's K-quants: super-blocks of 256 elements with quantized sub-block scales.
extension GGUFDequantize {
    /// The 6-bit scale and minimum of sub-block `j` (0..<8) from the 12 packed bytes at `scales`
    /// (Q4_K and Q5_K): sub-blocks 0-3 use the low 6 bits of bytes j and j + 4; sub-blocks 4-7 combine a nibble
    /// of byte j + 4 with the top 2 bits of bytes j - 4 and j.
    @inline(__always)
    static func scaleAndMin(_ scales: UnsafeRawPointer, _ j: Int) -> (Float, Float) {
        if j < 4 {
            return (Float(byte(scales, j) & 63), Float(byte(scales, j + 4) & 63))
        }
        let packed = byte(scales, j + 4)
        let scale = (packed & 0x0F) | ((byte(scales, j - 4) >> 6) << 4)
        let minimum = (packed >> 4) | ((byte(scales, j) >> 6) << 4)
        return (Float(scale), Float(minimum))
    }

    /// Q2_K (84 bytes): 16 bytes of 4-bit scale / 4-bit min pairs, 64 bytes of 2-bit quants, f16 `d`, f16 `dmin`.
    /// Each 128-element half reads 32 quant bytes four times (shifts 0, 2, 4, 6), 16 elements per scale.
    static func q2_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 80)
        let dmin = half(block, 82)
        var out = 0
        var s = 0
        for h in 0..<2 {
            let q = 16 + 32 * h
            for j in 0..<4 {
                let shift = UInt8(2 * j)
                for part in 0..<2 {
                    let sc = byte(block, s)
                    s += 1
                    let dl = d * Float(sc & 0x0F)
                    let ml = dmin * Float(sc >> 4)
                    for l in 0..<16 {
                        y[out] = dl * Float((byte(block, q + 16 * part + l) >> shift) & 3) - ml
                        out += 1
                    }
                }
            }
        }
    }

    /// The signed 6-bit scale `i` (0..<16) of a Q3_K block, from its 12 packed bytes at `scales`: the low 4 bits
    /// are a nibble of byte i (i < 8) or of byte i - 8 (high nibble), the high 2 bits come from byte 8 + i % 4.
    @inline(__always)
    static func q3Scale(_ scales: UnsafeRawPointer, _ i: Int) -> Float {
        let group = i / 4
        let low = group < 2 ? byte(scales, i) & 0x0F : byte(scales, i - 8) >> 4
        let high = (byte(scales, 8 + i % 4) >> UInt8(2 * group)) & 3
        return Float(Int32(low | (high << 4)) - 32)
    }

    /// Q3_K (110 bytes): 32 bytes of high-bit masks, 64 bytes of 2-bit quants, 12 bytes of packed 6-bit scales,
    /// f16 `d`. An element's quant is its 2 low bits minus 4 when its mask bit is clear.
    static func q3_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 108)
        let scales = block + 96
        var out = 0
        var s = 0
        var mask: UInt8 = 1
        for h in 0..<2 {
            let q = 32 + 32 * h
            for j in 0..<4 {
                let shift = UInt8(2 * j)
                for part in 0..<2 {
                    let dl = d * q3Scale(scales, s)
                    s += 1
                    for l in 0..<16 {
                        let low = Int32((byte(block, q + 16 * part + l) >> shift) & 3)
                        let subtract: Int32 = byte(block, 16 * part + l) & mask != 0 ? 0 : 4
                        y[out] = dl * Float(low - subtract)
                        out += 1
                    }
                }
                mask <<= 1
            }
        }
    }

    /// Q4_K (144 bytes): f16 `d`, f16 `dmin`, 12 bytes of packed 6-bit scales and mins, 128 bytes of nibbles.
    /// Each 64-element chunk reads 32 bytes: low nibbles with one scale, high nibbles with the next;
    /// value = d * scale * q - dmin * min.
    static func q4_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let scales = block + 4
        for chunk in 0..<4 {
            let (s1, m1) = scaleAndMin(scales, 2 * chunk)
            let (s2, m2) = scaleAndMin(scales, 2 * chunk + 1)
            let d1 = d * s1, min1 = dmin * m1
            let d2 = d * s2, min2 = dmin * m2
            let q = 16 + 32 * chunk
            let out = y + 64 * chunk
            for l in 0..<32 {
                let v = byte(block, q + l)
                out[l] = d1 * Float(v & 0x0F) - min1
                out[l + 32] = d2 * Float(v >> 4) - min2
            }
        }
    }

    /// Q5_K (176 bytes): as Q4_K with 32 bytes of fifth bits before the nibbles; chunk c takes its fifth bits
    /// from bits 2c (low nibbles) and 2c + 1 (high nibbles) of the high-bit bytes.
    static func q5_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let dmin = half(block, 2)
        let scales = block + 4
        for chunk in 0..<4 {
            let (s1, m1) = scaleAndMin(scales, 2 * chunk)
            let (s2, m2) = scaleAndMin(scales, 2 * chunk + 1)
            let d1 = d * s1, min1 = dmin * m1
            let d2 = d * s2, min2 = dmin * m2
            let lowBit = UInt8(1) << UInt8(2 * chunk)
            let highBit = UInt8(2) << UInt8(2 * chunk)
            let q = 48 + 32 * chunk
            let out = y + 64 * chunk
            for l in 0..<32 {
                let v = byte(block, q + l)
                let h = byte(block, 16 + l)
                out[l] = d1 * Float((v & 0x0F) + (h & lowBit != 0 ? 16 : 0)) - min1
                out[l + 32] = d2 * Float((v >> 4) + (h & highBit != 0 ? 16 : 0)) - min2
            }
        }
    }

    /// Q6_K (210 bytes): 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 int8 scales, f16 `d`;
    /// value = d * scale * (q - 32), one scale per 16 elements.
    static func q6_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 208)
        for h in 0..<2 {
            let ql = 64 * h
            let qh = 128 + 32 * h
            let sc = 192 + 8 * h
            let out = y + 128 * h
            for l in 0..<32 {
                let s = l / 16
                let high = byte(block, qh + l)
                let a = byte(block, ql + l)
                let b = byte(block, ql + l + 32)
                let q1 = Int32((a & 0x0F) | ((high & 3) << 4)) - 32
                let q2 = Int32((b & 0x0F) | (((high >> 2) & 3) << 4)) - 32
                let q3 = Int32((a >> 4) | (((high >> 4) & 3) << 4)) - 32
                let q4 = Int32((b >> 4) | (((high >> 6) & 3) << 4)) - 32
                out[l] = d * Float(Int8(bitPattern: byte(block, sc + s))) * Float(q1)
                out[l + 32] = d * Float(Int8(bitPattern: byte(block, sc + s + 2))) * Float(q2)
                out[l + 64] = d * Float(Int8(bitPattern: byte(block, sc + s + 4))) * Float(q3)
                out[l + 96] = d * Float(Int8(bitPattern: byte(block, sc + s + 6))) * Float(q4)
            }
        }
    }

    /// Q8_K (292 bytes): f32 `d`, 256 int8, 16 int16 group sums (unused here); value = q * d.
    static func q8_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        for j in 0..<256 {
            y[j] = d * Float(Int8(bitPattern: byte(block, 4 + j)))
        }
    }
}
