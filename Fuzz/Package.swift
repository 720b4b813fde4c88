// swift-tools-version:6.0
// libFuzzer targets for every parser of sani that reads outside input. A package of its own, so the root
// package's `swift build` and `swift test` neither build nor resolve anything here; `scripts/fuzz` builds it
// with `-sanitize=fuzzer,address` in its own scratch path (.build-fuzz). Each target is an executable whose
// `LLVMFuzzerTestOneInput` feeds the bytes to one parser: a thrown error is the expected answer to bad input,
// a crash, trap, hang or sanitizer report is a finding.
import PackageDescription

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies)
}

let package = Package(
    name: "sani-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "sani", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        fuzzTarget("fuzz-safetensors", [.product(name: "SaniEngine", package: "sani")]),
        fuzzTarget("fuzz-gguf", [.product(name: "SaniEngine", package: "sani")]),
        fuzzTarget("fuzz-tokenizer-json", [.product(name: "SaniEngine", package: "sani")]),
        fuzzTarget("fuzz-vocab-merges", [.product(name: "SaniEngine", package: "sani")]),
        fuzzTarget("fuzz-wordpiece-vocab", [.product(name: "SaniEngine", package: "sani")]),
        fuzzTarget("fuzz-corpus-jsonl", [.product(name: "Sani", package: "sani")]),
        fuzzTarget("fuzz-terms", [.product(name: "Sani", package: "sani")]),
        fuzzTarget("fuzz-tar", [.product(name: "SaniServer", package: "sani")]),
        fuzzTarget("fuzz-job-json", [.product(name: "SaniServer", package: "sani"), .product(name: "Sani", package: "sani")]),
    ]
)
