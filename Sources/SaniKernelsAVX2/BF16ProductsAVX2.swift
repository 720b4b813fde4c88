/// The bf16 decode products (`BF16Matrix.forward` in SaniEngine) compiled for AVX2 and FMA: this module alone is
/// built with `-target-cpu haswell`, so its 8-lane vectors are single ymm registers, the widening of bf16 is one
/// `vpmovzxwd` plus a shift and the accumulation is fused multiply-add. SaniEngine calls it only when the CPU
/// has AVX2 and FMA, and otherwise runs its own copy of these loops (SSE2, separate multiply and add); the two
/// are kept the same loop for loop and are both checked by the engine's tests.
public enum BF16ProductsAVX2 {
    /// For outputs `lo..<hi` of a `[outputs, inputs]` bf16 matrix `w` and rows `0..<n` of `input` (`[n, inputs]`):
    /// `out[r, o] = Σ_i input[r, i] · w[o, i] + bias[o]`, or added to `out[r, o]` when `accumulate`.
    /// `out` rows are `outputs` floats apart. Not inlined: its code must keep this module's instruction set.
    @inline(never)
    public static func products(_ w: UnsafePointer<UInt16>, inputs ic: Int, outputs oc: Int, from lo: Int, to hi: Int,
                                input: UnsafePointer<Float>, rows n: Int, out: UnsafeMutablePointer<Float>,
                                bias: UnsafePointer<Float>?, accumulate: Bool) {
        var o = lo
        while o + 4 <= hi {
            let b = bias.map { $0 + o }
            var r = 0
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
    static func float(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    @inline(__always)
    static func store(_ s: SIMD4<Float>, _ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, accumulate: Bool) {
        var s = s
        if let bias { s += UnsafeRawPointer(bias).loadUnaligned(as: SIMD4<Float>.self) }
        let raw = UnsafeMutableRawPointer(y)
        if accumulate { s += raw.loadUnaligned(as: SIMD4<Float>.self) }
        raw.storeBytes(of: s, as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func widen(_ p: UnsafeRawPointer) -> SIMD8<Float> {
        let half = p.loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: half) &<< 16, to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func dot4(_ w: UnsafePointer<UInt16>, inputs ic: Int, _ x: UnsafePointer<Float>) -> SIMD4<Float> {
        let w0 = UnsafeRawPointer(w), w1 = UnsafeRawPointer(w + ic)
        let w2 = UnsafeRawPointer(w + 2 * ic), w3 = UnsafeRawPointer(w + 3 * ic)
        let xr = UnsafeRawPointer(x)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var k = 0
        while k + 8 <= ic {
            let xv = xr.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            a0 = a0.addingProduct(widen(w0 + 2 * k), xv)
            a1 = a1.addingProduct(widen(w1 + 2 * k), xv)
            a2 = a2.addingProduct(widen(w2 + 2 * k), xv)
            a3 = a3.addingProduct(widen(w3 + 2 * k), xv)
            k += 8
        }
        var s = SIMD4<Float>(a0.sum(), a1.sum(), a2.sum(), a3.sum())
        while k < ic {
            s += SIMD4<Float>(float(w[k]), float(w[ic + k]), float(w[2 * ic + k]), float(w[3 * ic + k])) * x[k]
            k += 1
        }
        return s
    }

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
            a00 = a00.addingProduct(u, p)
            a01 = a01.addingProduct(v, p)
            a10 = a10.addingProduct(u, q)
            a11 = a11.addingProduct(v, q)
            k += 8
        }
        var s0 = SIMD2<Float>(a00.sum(), a01.sum()), s1 = SIMD2<Float>(a10.sum(), a11.sum())
        while k < ic {
            let pair = SIMD2<Float>(float(w[k]), float(w[ic + k]))
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
            a = a.addingProduct(widen(wr + 2 * k), xr.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
            k += 8
        }
        var s = a.sum()
        while k < ic { s += float(w[k]) * x[k]; k += 1 }
        return s
    }
}
