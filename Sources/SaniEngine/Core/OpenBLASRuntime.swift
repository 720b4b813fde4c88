import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Makes sure OpenBLAS runs the kernels this CPU deserves.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent CPU models and silently falls back to generic SSE
/// kernels (about 5x slower). It reads `OPENBLAS_CORETYPE` only while the library loads, so the fix is to
/// re-execute the process with the variable set before anything else runs.
public enum OpenBLASRuntime {
    /// The kernel family OpenBLAS picked, e.g. `SkylakeX`, `Haswell`, `Prescott`.
    public static var coreName: String {
        guard let c = openblas_get_corename() else { return "unknown" }
        return String(cString: c)
    }

    /// The build configuration string of the loaded OpenBLAS.
    public static var config: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c)
    }

    /// Instruction-set extensions the CPU announces in `/proc/cpuinfo`.
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            if let colon = line.firstIndex(of: ":") {
                return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
            }
        }
        return []
    }

    /// The core type OpenBLAS should use on this CPU, or nil when its own choice is already good.
    public static func recommendedCoreType(current: String, flags: Set<String>) -> String? {
        let good: Set<String> = ["skylakex", "cooperlake", "sapphirerapids", "zen", "haswell"]
        let lower = current.lowercased()
        if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") {
            return lower == "skylakex" || lower == "cooperlake" || lower == "sapphirerapids" ? nil : "SKYLAKEX"
        }
        if flags.contains("avx2") && flags.contains("fma") {
            return good.contains(lower) ? nil : "HASWELL"
        }
        return nil
    }

    /// Re-executes the current process with `OPENBLAS_CORETYPE` set when OpenBLAS picked generic kernels.
    /// An explicit `OPENBLAS_CORETYPE` in the environment is respected and never overridden.
    /// Returns only when no re-exec was needed (or it failed, in which case the process continues as is).
    public static func ensureOptimalKernels() {
        let env = ProcessInfo.processInfo.environment
        if env["OPENBLAS_CORETYPE"] != nil || env["SANI_OPENBLAS_REEXEC"] != nil { return }
        guard let wanted = recommendedCoreType(current: coreName, flags: cpuFlags()) else { return }
        reexec(coreType: wanted)
    }

    /// Re-executes the current process with `OPENBLAS_CORETYPE=coreType` (returns only if exec failed).
    public static func reexec(coreType: String) {
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        setenv("SANI_OPENBLAS_REEXEC", "1", 1)
        let args = CommandLine.arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cArgs.append(nil)
        execv("/proc/self/exe", &cArgs)
        // execv only returns on failure: carry on with the kernels we have.
        for p in cArgs { free(p) }
    }
}
