import Dispatch
import Foundation
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

    /// How much lower than normal the engine's kernel threads run (Linux nice, 0-19). The server sets it before
    /// any kernel runs, so that a training job's kernels, like its own thread, yield a busy core to the threads
    /// answering requests; tools leave it at 0.
    nonisolated(unsafe) public static var kernelNiceness: Int32 = 0

    /// The engine's own kernel threads (`threadCount - 1` of them; the caller runs a share too). Kernels run on
    /// them rather than on the shared dispatch pool, whose threads also run the server's request handlers.
    /// `SANI_KERNEL_POOL=off` runs the kernels on the dispatch pool instead (to compare the two, scripts/load.sh).
    static let pool: KernelPool? = {
        guard threadCount > 1, ProcessInfo.processInfo.environment["SANI_KERNEL_POOL"] != "off" else { return nil }
        return KernelPool(workers: threadCount - 1, niceness: kernelNiceness)
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
            let chunk: (Int) -> Void = { c in
                let start = c * size
                let end = min(count, start + size)
                if start < end { escapable(start..<end) }
            }
            // The pool serves one caller at a time; a second caller at the same moment (two jobs, or a kernel
            // started from inside a kernel) uses the dispatch pool as before.
            if let pool, pool.run(chunks: chunks, chunk) { return }
            let box = UncheckedSendable(chunk)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in box.value(c) }
        }
    }
}

/// Persistent kernel threads: a caller posts `chunks` pieces of work, runs pieces itself while any are left, and
/// waits for the pieces a worker took.
final class KernelPool: @unchecked Sendable {
    // Allocated, not stored inline: pthread objects must not move.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let owner = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var generation = 0
    private var work: ((Int) -> Void)?
    private var chunks = 0
    private var next = 0
    private var running = 0

    init(workers: Int, niceness: Int32) {
        pthread_mutex_init(lock, nil)
        pthread_mutex_init(owner, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(finished, nil)
        for i in 0..<workers {
            let thread = Thread { [self] in
                #if os(Linux)
                // The kernel's id of this thread: /proc/thread-self links to "<pid>/task/<tid>".
                if niceness > 0, let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
                   let me = link.split(separator: "/").last.flatMap({ id_t($0) }) {
                    let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), me)
                    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), me, min(19, current + niceness))
                }
                #endif
                self.loop()
            }
            thread.name = "sani-kernel-\(i + 1)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body(0..<chunks)` on the caller and the workers; false (nothing run) when another caller holds the pool.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard pthread_mutex_trylock(owner) == 0 else { return false }
        defer { pthread_mutex_unlock(owner) }
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(lock)
            work = body
            self.chunks = chunks
            next = 0
            running = 0
            generation &+= 1
            pthread_cond_broadcast(wake)
            takeChunks()
            while running > 0 { pthread_cond_wait(finished, lock) }
            work = nil
            pthread_mutex_unlock(lock)
        }
        return true
    }

    private func loop() {
        var seen = 0
        pthread_mutex_lock(lock)
        while true {
            while generation == seen { pthread_cond_wait(wake, lock) }
            seen = generation
            takeChunks()
        }
    }

    /// Runs the posted work's chunks no one has taken yet, one at a time; called and returns with `lock` held.
    /// The last chunk to finish wakes the caller waiting for them.
    private func takeChunks() {
        while let body = work, next < chunks {
            let c = next
            next += 1
            running += 1
            pthread_mutex_unlock(lock)
            body(c)
            pthread_mutex_lock(lock)
            running -= 1
            if running == 0 { pthread_cond_signal(finished) }
        }
    }
}

/// Carries a value across a concurrency boundary the compiler cannot check; the engine's kernels only ever
/// write disjoint ranges from different threads.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
