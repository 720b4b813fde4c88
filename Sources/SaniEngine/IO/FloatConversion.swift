#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if _endian(big)
#error("safetensors data is little-endian; the readers assume a little-endian host")
#endif

/// Exact conversions of stored floating-point tensors to `Float`.
///
/// Sources may be unaligned (the format does not require aligned data offsets), so every element is loaded with
/// `loadUnaligned`, which compiles to plain loads on x86_64 and arm64 and lets the loops vectorise.
enum FloatConversion {
    /// Tensors with at least this many elements are converted on several threads.
    static let parallelThreshold = 1 << 18

    /// Converts `count` elements of type `dtype` at `source` to `Float` at `destination`, threading large tensors.
    /// `dtype` must be one of `F32`, `F16`, `BF16`, `F64`.
    static func convert(_ dtype: TensorDType, from source: UnsafeRawPointer,
                        to destination: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count, minimumChunk: parallelThreshold) { range in
            let start = range.lowerBound
            let source = source + start * dtype.byteSize
            let destination = destination + start
            switch dtype {
            case .f32: memcpy(destination, source, range.count * 4)
            case .f16: convertHalf(source, destination, range.count)
            case .bf16: convertBFloat16(source, destination, range.count)
            case .f64: convertDouble(source, destination, range.count)
            default: preconditionFailure("FloatConversion called with \(dtype)")
            }
        }
    }

    /// IEEE binary16 bits to binary32 bits, exactly: normals are re-biased, infinities and NaNs (payload kept)
    /// get the maximal exponent, and subnormals are renormalised with one exact float subtraction.
    /// Branch-free so that the loop over a buffer vectorises.
    @inline(__always)
    static func floatBits(fromHalf half: UInt16) -> UInt32 {
        let h = UInt32(half)
        let sign = (h & 0x8000) << 16
        let magnitude = (h & 0x7FFF) << 13
        let exponent = magnitude & 0x0F80_0000
        let rebias: UInt32 = (127 - 15) << 23
        let normal = magnitude &+ rebias
        let infinityOrNaN = normal &+ rebias
        // 2^-14 * (1 + m/1024) - 2^-14 = m * 2^-24, computed exactly in binary32.
        let twoToMinus14 = Float(bitPattern: (127 - 14) << 23)
        let subnormal = (Float(bitPattern: magnitude &+ ((127 - 14) << 23)) - twoToMinus14).bitPattern
        let bits = exponent == 0x0F80_0000 ? infinityOrNaN : (exponent == 0 ? subnormal : normal)
        return bits | sign
    }

    private static func convertHalf(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>,
                                    _ count: Int) {
        for i in 0..<count {
            let half = source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
            destination[i] = Float(bitPattern: floatBits(fromHalf: half))
        }
    }

    private static func convertBFloat16(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>,
                                        _ count: Int) {
        for i in 0..<count {
            let bits = source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
            destination[i] = Float(bitPattern: UInt32(bits) << 16)
        }
    }

    private static func convertDouble(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>,
                                      _ count: Int) {
        for i in 0..<count {
            destination[i] = Float(source.loadUnaligned(fromByteOffset: 8 * i, as: Double.self))
        }
    }
}
