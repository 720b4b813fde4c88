/// Vectorised elementary functions over `SIMD16<Float>` and reductions over raw buffers.
///
/// `exp` uses the classic range reduction `x = n·ln2 + r` with a degree-6 polynomial for `e^r`
/// (relative error below 2e-7 over the float range); `tanh` is built on it.
public enum VectorMath {
    public typealias V = SIMD16<Float>
    public static let width = 16

    @inline(__always)
    public static func exp(_ x: V) -> V {
        let clamped = clamp(x, -87.33654, 88.0)
        // Round x·log2(e) to the nearest integer n with the 1.5·2²³ trick: after the add, the low mantissa
        // bits of `shifted` hold n, so no float→int conversion instruction sequence is needed.
        let magic = V(repeating: 12_582_912)
        let shifted = clamped * 1.442695040888963 + magic
        let n = shifted - magic
        var r = clamped - n * 0.693359375
        r = r + n * 2.12194440e-4
        // e^r on [-ln2/2, ln2/2]
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r * r + r + 1
        let bits = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: V.self)
    }

    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        exp(V(repeating: x))[0]
    }

    /// tanh(x) = 1 - 2 / (e^{2x} + 1), saturated for |x| > 9 where float tanh is ±1.
    @inline(__always)
    public static func tanh(_ x: V) -> V {
        let c = clamp(x, -9, 9)
        let e = exp(c * 2)
        return 1 - 2 / (e + 1)
    }

    @inline(__always)
    public static func tanh(_ x: Float) -> Float { tanh(V(repeating: x))[0] }

    /// Lane-wise clamp through compare-and-select (maps to vector min/max instructions).
    @inline(__always)
    static func clamp(_ x: V, _ lo: Float, _ hi: Float) -> V {
        let low = V(repeating: lo), high = V(repeating: hi)
        let a = x.replacing(with: low, where: x .< low)
        return a.replacing(with: high, where: a .> high)
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// Sum of `n` floats.
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = V()
        var i = 0
        while i + width <= n { acc += load(x + i); i += width }
        var s = acc.sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// Dot product of two `n`-float vectors.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = V()
        var i = 0
        while i + width <= n { acc += load(a + i) * load(b + i); i += width }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Maximum of `n` floats (n > 0).
    @inline(__always)
    public static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var m = -Float.infinity
        if n >= width {
            var acc = load(x)
            i = width
            while i + width <= n {
                let v = load(x + i)
                acc = acc.replacing(with: v, where: v .> acc)
                i += width
            }
            m = acc.max()
        }
        while i < n { m = Swift.max(m, x[i]); i += 1 }
        return m
    }

    /// `y += a * x` over `n` floats.
    @inline(__always)
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + width <= n { store(load(y + i) + a * load(x + i), y + i); i += width }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// `y += x` over `n` floats.
    @inline(__always)
    public static func add(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + width <= n { store(load(y + i) + load(x + i), y + i); i += width }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// `x *= a` over `n` floats.
    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ a: Float, _ n: Int) {
        var i = 0
        while i + width <= n { store(load(x + i) * a, x + i); i += width }
        while i < n { x[i] *= a; i += 1 }
    }

    /// In-place `x = exp(x - shift)`; returns the sum of the results.
    @inline(__always)
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, shift: Float, _ n: Int) -> Float {
        var acc = V()
        var i = 0
        let s = V(repeating: shift)
        while i + width <= n {
            let e = exp(load(x + i) - s)
            store(e, x + i)
            acc += e
            i += width
        }
        var total = acc.sum()
        while i < n {
            let e = exp(x[i] - shift)
            x[i] = e
            total += e
            i += 1
        }
        return total
    }
}
