import Foundation
#if canImport(SaniKernelsAVX2)
import SaniKernelsAVX2
#endif

/// bfloat16: the upper 16 bits of an IEEE binary32 (sign, the full 8-bit exponent, 7 mantissa bits). A float
/// becomes bf16 by rounding its lower 16 bits away and comes back by a 16-bit left shift, so a bf16 copy of a
/// weight matrix halves the bytes a memory-bound matrix-vector product streams while keeping fp32's range.
public enum BFloat16 {
    /// `x` rounded to the nearest bf16, ties to even. Infinities stay infinities, finite values beyond the
    /// largest bf16 (about 3.39e38) round to infinity, and a NaN stays a NaN (made quiet, sign kept).
    @inline(__always)
    public static func round(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        // Adding 0x7FFF plus the bit that survives (the lowest kept one) carries into the kept half exactly
        // when the dropped half is above one half, or equal to it with an odd kept half.
        let keptLowBit = (bits >> 16) & 1
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ keptLowBit) >> 16)
    }

    /// The float a bf16 value stands for (exact).
    @inline(__always)
    public static func float(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// `x` rounded to bf16 and back, as a float.
    @inline(__always)
    public static func rounded(_ x: Float) -> Float { float(round(x)) }
}

/// A bf16 copy of one weight matrix for products with a few input rows (batch-1 decoding), where a product is
/// bound by the bytes of weights read rather than by arithmetic. The copy is stored `[outputs, inputs]` whatever
/// the source's `WeightLayout`, so each output is one contiguous dot product; the products widen the weights to
/// fp32 in registers and accumulate in fp32. On x86-64 CPUs with AVX2 and FMA they run the copy of the loops
/// compiled for those (module SaniKernelsAVX2), elsewhere the portable ones below.
public final class BF16Matrix: @unchecked Sendable {
    /// Above this many input rows the weights are reused enough for sgemm on the fp32 weights to be faster.
    public static let maximumRows = 4

    public let inputs: Int
    public let outputs: Int
    /// `[outputs, inputs]` row-major.
    let values: UnsafeMutablePointer<UInt16>

    /// Rounds `weight` (`[inputs, outputs]` for `.inputMajor`, `[outputs, inputs]` for `.outputMajor`, as
    /// `Linear.forward` reads it) to bf16, threaded over blocks of outputs.
    public init(weight: UnsafePointer<Float>, inputs: Int, outputs: Int, layout: WeightLayout) {
        precondition(inputs > 0 && outputs > 0, "empty matrix")
        self.inputs = inputs
        self.outputs = outputs
        let raw = UnsafeMutableRawPointer.allocate(byteCount: inputs * outputs * 2, alignment: 64)
        values = raw.bindMemory(to: UInt16.self, capacity: inputs * outputs)
        let v = values
        let block = 64
        let blocks = (outputs + block - 1) / block
        Parallel.forRanges(blocks, minimumChunk: max(1, 16_384 / (block * inputs))) { range in
            let lo = range.lowerBound * block, hi = min(outputs, range.upperBound * block)
            switch layout {
            case .outputMajor:
                for o in lo..<hi {
                    let src = weight + o * inputs, dst = v + o * inputs
                    for i in 0..<inputs { dst[i] = BFloat16.round(src[i]) }
                }
            case .inputMajor:
                // Transposed a block of outputs at a time: each input row's slice of the block is contiguous
                // and the block's destination rows stay in cache.
                var o0 = lo
                while o0 < hi {
                    let o1 = min(hi, o0 + block)
                    for i in 0..<inputs {
                        let src = weight + i * outputs
                        for o in o0..<o1 { v[o * inputs + i] = BFloat16.round(src[o]) }
                    }
                    o0 = o1
                }
            }
        }
    }

    deinit { values.deallocate() }

    /// Bytes of the bf16 copy (what one product streams).
    public var byteCount: Int { inputs * outputs * 2 }

    /// The bf16 weight from input `i` to output `o`, as a float.
    public func weight(input i: Int, output o: Int) -> Float { BFloat16.float(values[o * inputs + i]) }

    /// `out[r, o] = Σ_i input[r, i] · W[i → o] + bias[o]` for `rows` rows (at most `maximumRows`), fp32
    /// accumulation; `accumulate` adds to `out` instead of overwriting it. Threaded over blocks of outputs; each
    /// block's weights are read from memory once and reused from cache by every row.
    public func forward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        rows n: Int, accumulate: Bool = false) {
        precondition(n >= 1 && n <= Self.maximumRows, "bf16 products take 1 to \(Self.maximumRows) rows")
        let ic = inputs, oc = outputs, w = values
        let quads = (oc + 3) / 4
        #if canImport(SaniKernelsAVX2)
        let avx2 = Self.usesAVX2
        #endif
        // Enough weights per thread (about 64 KiB of bf16) to be worth waking a worker for.
        Parallel.forRanges(quads, minimumChunk: max(1, 32_768 / (4 * ic))) { range in
            let lo = range.lowerBound * 4, hi = min(oc, range.upperBound * 4)
            #if canImport(SaniKernelsAVX2)
            if avx2 {
                BF16ProductsAVX2.products(w, inputs: ic, outputs: oc, from: lo, to: hi, input: input, rows: n, out: out,
                                          bias: bias, accumulate: accumulate)
                return
            }
            #endif
            Self.products(w, inputs: ic, outputs: oc, from: lo, to: hi, input: input, rows: n, out: out, bias: bias,
                          accumulate: accumulate)
        }
    }

    /// Whether the CPU has AVX2 and FMA (Linux: the flags of /proc/cpuinfo, which lists only what the kernel
    /// enabled), so that the products compiled for them (module SaniKernelsAVX2) can run.
    public static let hostHasAVX2: Bool = {
        #if canImport(SaniKernelsAVX2) && os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" }))
        return flags.contains("avx2") && flags.contains("fma")
        #else
        return false
        #endif
    }()

    /// Whether `forward` runs the AVX2/FMA products (when the CPU has them) or the portable ones here; tests
    /// switch it to check both.
    nonisolated(unsafe) static var usesAVX2 = hostHasAVX2

    /// The portable products for outputs `lo..<hi`, the same loops as `BF16ProductsAVX2.products` with a separate
    /// multiply and add (SSE2 has no fused one).
    static func products(_ w: UnsafePointer<UInt16>, inputs ic: Int, outputs oc: Int, from lo: Int, to hi: Int,
                         input: UnsafePointer<Float>, rows n: Int, out: UnsafeMutablePointer<Float>,
                         bias: UnsafePointer<Float>?, accumulate: Bool) {
        var o = lo
        while o + 4 <= hi {
            let b = bias.map { $0 + o }
            var r = 0
            // Rows two at a time share each widened weight; a last odd row takes four outputs alone.
            while r + 2 <= n {
                let x0 = input + r * ic, x1 = x0 + ic
                let (s00, s01) = dot2x2(w + o * ic, inputs: ic, x0, x1)
                let (s10, s11) = dot2x2(w + (o + 2) * ic, inputs: ic, x0, x1)
                store(SIMD4(s00[0], s00[1], s10[0], s10[1]), out + r * oc + o, bias: b, accumulate: accumulate)
                store(SIMD4(s01[0], s01[1], s11[0], s11[1]), out + (r + 1) * oc + o, bias: b, accumulate: accumulate)
                r += 2
            }
            if r < n {
                store(dot4(w + o * ic, inputs: ic, input + r * ic), out + r * oc + o, bias: b, accumulate: accumulate)
            }
            o += 4
        }
        while o < hi {
            for r in 0..<n {
                var s = dot1(w + o * ic, inputs: ic, input + r * ic)
                if let bias { s += bias[o] }
                if accumulate { out[r * oc + o] += s } else { out[r * oc + o] = s }
            }
            o += 1
        }
    }

    @inline(__always)
    static func store(_ s: SIMD4<Float>, _ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, accumulate: Bool) {
        var s = s
        if let bias { s += UnsafeRawPointer(bias).loadUnaligned(as: SIMD4<Float>.self) }
        let raw = UnsafeMutableRawPointer(y)
        if accumulate { s += raw.loadUnaligned(as: SIMD4<Float>.self) }
        raw.storeBytes(of: s, as: SIMD4<Float>.self)
    }

    /// Eight bf16 values at `p` as eight floats: each widened to 32 bits and shifted into the upper half.
    @inline(__always)
    static func widen(_ p: UnsafeRawPointer) -> SIMD8<Float> {
        let half = p.loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: half) &<< 16, to: SIMD8<Float>.self)
    }

    /// Four consecutive outputs' dot products with one input row; the input is loaded once for the four.
    @inline(__always)
    static func dot4(_ w: UnsafePointer<UInt16>, inputs ic: Int, _ x: UnsafePointer<Float>) -> SIMD4<Float> {
        let w0 = UnsafeRawPointer(w), w1 = UnsafeRawPointer(w + ic)
        let w2 = UnsafeRawPointer(w + 2 * ic), w3 = UnsafeRawPointer(w + 3 * ic)
        let xr = UnsafeRawPointer(x)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var k = 0
        while k + 8 <= ic {
            let xv = xr.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            a0 += widen(w0 + 2 * k) * xv
            a1 += widen(w1 + 2 * k) * xv
            a2 += widen(w2 + 2 * k) * xv
            a3 += widen(w3 + 2 * k) * xv
            k += 8
        }
        var s = SIMD4<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum())
        while k < ic {
            s += SIMD4<Float>(BFloat16.float(w[k]), BFloat16.float(w[ic + k]), BFloat16.float(w[2 * ic + k]),
                              BFloat16.float(w[3 * ic + k])) * x[k]
            k += 1
        }
        return s
    }

    /// Two consecutive outputs' dot products with two input rows: `(row 0: [out 0, out 1], row 1: [out 0, out 1])`.
    @inline(__always)
    static func dot2x2(_ w: UnsafePointer<UInt16>, inputs ic: Int, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>)
        -> (SIMD2<Float>, SIMD2<Float>) {
        let w0 = UnsafeRawPointer(w), w1 = UnsafeRawPointer(w + ic)
        let x0r = UnsafeRawPointer(x0), x1r = UnsafeRawPointer(x1)
        var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a10 = SIMD8<Float>(), a11 = SIMD8<Float>()
        var k = 0
        while k + 8 <= ic {
            let u = widen(w0 + 2 * k), v = widen(w1 + 2 * k)
            let p = x0r.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            let q = x1r.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            a00 += u * p
            a01 += v * p
            a10 += u * q
            a11 += v * q
            k += 8
        }
        var s0 = SIMD2<Float>(a00.sum(), a01.sum()), s1 = SIMD2<Float>(a10.sum(), a11.sum())
        while k < ic {
            let pair = SIMD2<Float>(BFloat16.float(w[k]), BFloat16.float(w[ic + k]))
            s0 += pair * x0[k]
            s1 += pair * x1[k]
            k += 1
        }
        return (s0, s1)
    }

    @inline(__always)
    static func dot1(_ w: UnsafePointer<UInt16>, inputs ic: Int, _ x: UnsafePointer<Float>) -> Float {
        let wr = UnsafeRawPointer(w), xr = UnsafeRawPointer(x)
        var a = SIMD8<Float>()
        var k = 0
        while k + 8 <= ic {
            a += widen(wr + 2 * k) * xr.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        var s = a.sum()
        while k < ic { s += BFloat16.float(w[k]) * x[k]; k += 1 }
        return s
    }
}
