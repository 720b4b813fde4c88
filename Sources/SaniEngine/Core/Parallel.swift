import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Threading for the engine's own kernels (BLAS threads itself).
public enum Parallel {
    /// Number of worker threads used by kernels: the number of online cores.
    public static let threadCount: Int = {
        #if canImport(Glibc)
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, n)
        #else
        return 2
        #endif
    }()

    /// Splits `0..<count` into contiguous chunks and runs `body(range)` on each, concurrently.
    /// Work smaller than `minimumChunk` items runs on the calling thread.
    @inline(__always)
    public static func forRanges(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = min(threadCount, max(1, count / max(1, minimumChunk)))
        if chunks == 1 {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = c * size
                let end = min(count, start + size)
                if start < end { box.value(start..<end) }
            }
        }
    }
}

/// Carries a value across a concurrency boundary the compiler cannot check; the engine's kernels only ever
/// write disjoint ranges from different threads.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
