import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The thread a job's work runs on: its own (not one of the dispatch pool's, which the HTTP handlers and the store
/// share), niced by `niceness` so that under a full CPU the scheduler favours the threads that answer requests.
/// Threads the job's kernels start later inherit the niceness.
enum JobThread {
    /// How much lower than the server's threads a job runs (Linux nice, 0-19).
    static let niceness: Int32 = 5

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
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, min(19, current + niceness))
        #endif
    }
}
