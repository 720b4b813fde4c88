// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sani",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SaniEngine", targets: ["SaniEngine"]),
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
            dependencies: ["COpenBLAS"]
        ),
        .executableTarget(
            name: "sani",
            dependencies: [
                "SaniEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SaniEngineTests",
            dependencies: ["SaniEngine"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
