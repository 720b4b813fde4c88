import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The thread a job's work runs on: its own (not one of the dispatch pool's, which the HTTP handlers and the store
/// share), niced by `niceness` so that under a full CPU the scheduler favours the threads that answer requests.
/// Threads the job's kernels start later inherit the niceness.
public enum JobThread {
    /// How much lower than the server's threads a job runs (Linux nice, 0-19).
    public static let niceness: Int32 = 5

    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            lowerPriority()
            body()
        }
        thread.name = name
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Lowers the calling thread's priority (on Linux, nice applies to the one thread).
    static func lowerPriority() {
        #if os(Linux)
        // The kernel's id of this thread: /proc/thread-self links to "<pid>/task/<tid>".
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
              let tid = link.split(separator: "/").last.flatMap({ id_t($0) }) else { return }
        lower(tid)
        #endif
    }

    /// Lowers the priority of every thread the process has besides the calling one; called once at the server's
    /// start, before it starts any thread of its own, when the only others are OpenBLAS's workers (started when
    /// the library loads). They run the job's matrix products and spin between them, so they get the job's
    /// niceness. Returns how many threads were lowered.
    @discardableResult
    public static func lowerStartupThreads() -> Int {
        #if os(Linux)
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
              let me = link.split(separator: "/").last.flatMap({ id_t($0) }),
              let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return 0 }
        var lowered = 0
        for task in tasks {
            guard let tid = id_t(task), tid != me else { continue }
            if lower(tid) { lowered += 1 }
        }
        return lowered
        #else
        return 0
        #endif
    }

    #if os(Linux)
    @discardableResult
    private static func lower(_ tid: id_t) -> Bool {
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid)
        if current == -1 && errno != 0 { return false }
        return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, min(19, current + niceness)) == 0
    }
    #endif
}
