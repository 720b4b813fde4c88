// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sani",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SaniEngine", targets: ["SaniEngine"]),
        .library(name: "Sani", targets: ["Sani"]),
        .executable(name: "sani", targets: ["sani"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "SaniEngine",
            dependencies: ["COpenBLAS"],
            // The numerics are optimised in every configuration: an unoptimised engine is far too slow even
            // for the tests' tiny models.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .target(
            name: "Sani",
            dependencies: ["SaniEngine"]
        ),
        .executableTarget(
            name: "sani",
            dependencies: [
                "SaniEngine",
                "Sani",
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
    ]
)
