// swift-tools-version:6.0
import PackageDescription

// On x86-64 the bf16 decode products are also compiled for AVX2 and FMA, in a module of their own; the engine
// picks them at run time when the CPU has both (the rest of the engine keeps the baseline instruction set).
#if arch(x86_64)
let avx2Kernels: [Target] = [
    .target(name: "SaniKernelsAVX2", swiftSettings: [.unsafeFlags(["-O", "-target-cpu", "haswell"])]),
]
let engineDependencies: [Target.Dependency] = ["COpenBLAS", "SaniKernelsAVX2"]
#else
let avx2Kernels: [Target] = []
let engineDependencies: [Target.Dependency] = ["COpenBLAS"]
#endif

let package = Package(
    name: "sani",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SaniEngine", targets: ["SaniEngine"]),
        .library(name: "Sani", targets: ["Sani"]),
        .library(name: "SaniServer", targets: ["SaniServer"]),
        .executable(name: "sani", targets: ["sani"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", "5.0.0"..<"7.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "SaniEngine",
            dependencies: engineDependencies,
            // The numerics are optimised in every configuration: an unoptimised engine is far too slow even
            // for the tests' tiny models.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "Sani",
            dependencies: ["SaniEngine"]
        ),
        .target(
            name: "SaniServer",
            dependencies: [
                "Sani",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "sani",
            dependencies: [
                "SaniEngine",
                "Sani",
                "SaniServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SaniEngineTests",
            dependencies: ["SaniEngine"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SaniTests",
            dependencies: ["Sani", "SaniEngine"]
        ),
        .testTarget(
            name: "SaniServerTests",
            dependencies: [
                "SaniServer",
                "Sani",
                "SaniEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ] + avx2Kernels
)
