/// A contiguous, fixed-size, zero-initialised buffer of `Float` with reference semantics.
///
/// Numerics run over raw pointers so that threaded kernels can write disjoint ranges without copies.
/// The buffer is `@unchecked Sendable`: kernels only ever write disjoint ranges from different threads.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// Counts the changes made through the buffer's own methods (`copy(from:)`, `zero()`) and those announced
    /// with `markModified()`; copies derived from the values (a model's bf16 decode weights) keep the version
    /// they were made from and are rebuilt when it moved. Writes through `pointer` must call `markModified()`.
    public private(set) var version: UInt64 = 0

    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        let alignment = 64
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride,
                                                   alignment: alignment)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Records that the values changed (after or before writing through `pointer`).
    public func markModified() { version &+= 1 }

    public func zero() {
        pointer.update(repeating: 0, count: count)
        markModified()
    }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count, "buffer sizes differ")
        pointer.update(from: other.pointer, count: count)
        markModified()
    }

    public func clone() -> FloatBuffer {
        let c = FloatBuffer(count: count)
        c.copy(from: self)
        return c
    }
}
