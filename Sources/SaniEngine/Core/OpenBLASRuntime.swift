import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Makes sure OpenBLAS runs the kernels this CPU deserves, and that its idle threads leave the cores to sani's
/// own kernels.
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

    /// How long an idle OpenBLAS thread spins before it sleeps, as a power of two of cycles (OpenBLAS's
    /// `OPENBLAS_THREAD_TIMEOUT`, 4 to 30; its own default is 28, about a tenth of a second). Between two products
    /// sani's own kernels (norms, activations, attention, softmax) run on every core, and a BLAS thread still
    /// spinning there takes a core from them: on this project's 2-core reference machine, sleeping at once made
    /// the BERT-base and SmolLM2 shapes' forward 11-18 % faster (training 2-16 %) and left GPT-2 and decode where
    /// they were (`sani bench engine`, README).
    public static let threadTimeout = "4"

    /// The variables to set before OpenBLAS loads: the core type when its own choice is generic, the thread
    /// timeout; a variable already in `environment` is the operator's and is never changed.
    public static func environmentChanges(environment: [String: String], current: String,
                                          flags: Set<String>) -> [String: String] {
        var changes: [String: String] = [:]
        if environment["OPENBLAS_CORETYPE"] == nil, let wanted = recommendedCoreType(current: current, flags: flags) {
            changes["OPENBLAS_CORETYPE"] = wanted
        }
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil { changes["OPENBLAS_THREAD_TIMEOUT"] = threadTimeout }
        return changes
    }

    /// Re-executes the current process with `environmentChanges` set (OpenBLAS reads them only while it loads).
    /// Returns only when nothing needed changing, after one re-exec, or when the exec failed (the process then
    /// continues as it is).
    public static func ensureOptimalKernels() {
        let env = ProcessInfo.processInfo.environment
        if env["SANI_OPENBLAS_REEXEC"] != nil { return }
        let changes = environmentChanges(environment: env, current: coreName, flags: cpuFlags())
        guard !changes.isEmpty else { return }
        reexec(setting: changes)
    }

    /// Re-executes the current process with `OPENBLAS_CORETYPE=coreType` (returns only if exec failed).
    public static func reexec(coreType: String) { reexec(setting: ["OPENBLAS_CORETYPE": coreType]) }

    /// Re-executes the current process with `variables` set (returns only if exec failed).
    public static func reexec(setting variables: [String: String]) {
        for (name, value) in variables { setenv(name, value, 1) }
        setenv("SANI_OPENBLAS_REEXEC", "1", 1)
        let args = CommandLine.arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cArgs.append(nil)
        execv("/proc/self/exe", &cArgs)
        // execv only returns on failure: carry on with the kernels we have.
        for p in cArgs { free(p) }
    }
}
