/// Conversion of GGUF tensor data to `Float`, following ggml's block layouts and dequantization formulas exactly.
///
/// Blocks are independent, so large tensors are split over threads by whole blocks. Block data is read with
/// unaligned loads (blocks of 18, 20, 22... bytes leave multi-byte fields at any address).
enum GGUFDequantize {
    /// Tensors with at least this many elements are converted on several threads.
    static let parallelThreshold = 1 << 17

    /// Converts `count` elements of `type` at `source` to `destination`. `type.isDequantizable` must hold and
    /// `count` must be a multiple of the block size (both are checked by `GGUFFile`).
    static func convert(_ type: GGMLType, from source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>,
                        count: Int) {
        switch type {
        case .f32: FloatConversion.convert(.f32, from: source, to: destination, count: count)
        case .f16: FloatConversion.convert(.f16, from: source, to: destination, count: count)
        case .bf16: FloatConversion.convert(.bf16, from: source, to: destination, count: count)
        case .f64: FloatConversion.convert(.f64, from: source, to: destination, count: count)
        default:
            guard let kernel = blockKernel(type) else { preconditionFailure("no dequantizer for \(type.name)") }
            let blockSize = type.blockSize
            let stride = type.bytesPerBlock
            let blocks = count / blockSize
            Parallel.forRanges(blocks, minimumChunk: max(1, parallelThreshold / blockSize)) { range in
                for b in range {
                    kernel(source + b * stride, destination + b * blockSize)
                }
            }
        }
    }

    /// The function that dequantizes one block of `type`, or `nil` for plain and unsupported types.
    static func blockKernel(_ type: GGMLType) -> ((UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void)? {
        switch type {
        case .q4_0: return q4_0
        case .q4_1: return q4_1
        case .q5_0: return q5_0
        case .q5_1: return q5_1
        case .q8_0: return q8_0
        case .q8_1: return q8_1
        case .q2_K: return q2_K
        case .q3_K: return q3_K
        case .q4_K: return q4_K
        case .q5_K: return q5_K
        case .q6_K: return q6_K
        case .q8_K: return q8_K
        default: return nil
        }
    }

    /// The IEEE half at `offset` of `block`, as `Float`.
    @inline(__always)
    static func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(bitPattern: FloatConversion.floatBits(fromHalf: block.loadUnaligned(fromByteOffset: offset,
                                                                                  as: UInt16.self)))
    }

    /// The byte at `offset` of `block`.
    @inline(__always)
    static func byte(_ block: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        block.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Q4_0: f16 scale `d`, then 16 bytes; byte j holds element j (low nibble) and element j + 16 (high nibble);
    /// value = (q - 8) * d.
    static func q4_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<16 {
            let q = byte(block, 2 + j)
            y[j] = Float(Int32(q & 0x0F) - 8) * d
            y[j + 16] = Float(Int32(q >> 4) - 8) * d
        }
    }

    /// Q4_1: f16 scale `d`, f16 minimum `m`, then nibbles as in Q4_0; value = q * d + m.
    static func q4_1(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        for j in 0..<16 {
            let q = byte(block, 4 + j)
            y[j] = Float(q & 0x0F) * d + m
            y[j + 16] = Float(q >> 4) * d + m
        }
    }

    /// Q5_0: f16 `d`, 32 high bits (`uint32`, bit i for element i), nibbles as in Q4_0; value = (q - 16) * d.
    static func q5_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0..<16 {
            let q = UInt32(byte(block, 6 + j))
            let low = (q & 0x0F) | (((high >> UInt32(j)) & 1) << 4)
            let upper = (q >> 4) | (((high >> UInt32(j + 16)) & 1) << 4)
            y[j] = Float(Int32(low) - 16) * d
            y[j + 16] = Float(Int32(upper) - 16) * d
        }
    }

    /// Q5_1: f16 `d`, f16 `m`, 32 high bits, nibbles; value = q * d + m.
    static func q5_1(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        let m = half(block, 2)
        let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0..<16 {
            let q = UInt32(byte(block, 8 + j))
            let low = (q & 0x0F) | (((high >> UInt32(j)) & 1) << 4)
            let upper = (q >> 4) | (((high >> UInt32(j + 16)) & 1) << 4)
            y[j] = Float(low) * d + m
            y[j + 16] = Float(upper) * d + m
        }
    }

    /// Q8_0: f16 `d`, 32 int8; value = q * d.
    static func q8_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<32 {
            y[j] = Float(Int8(bitPattern: byte(block, 2 + j))) * d
        }
    }

    /// Q8_1: f16 `d`, f16 `s` (the block sum, unused here), 32 int8; value = q * d.
    static func q8_1(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<32 {
            y[j] = Float(Int8(bitPattern: byte(block, 4 + j))) * d
        }
    }
}
