#if canImport(Glibc)
import Glibc
#endif

/// Memory figures of the running process.
public enum ProcessMemory {
    /// Peak resident set size in bytes (`getrusage`).
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }
}
