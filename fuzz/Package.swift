// swift-tools-version: 6.0
import PackageDescription

// libFuzzer target over CheckpointFile.load. Build and run with ./run.sh: every Swift module
// (the root package's too) is compiled with -sanitize=fuzzer so libFuzzer sees their coverage.
let package = Package(
    name: "ckpt-fuzz",
    dependencies: [.package(name: "ckpt", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "fuzz-load",
            dependencies: ["CFuzzDriver", .product(name: "CkptFormat", package: "ckpt")],
            path: "Sources/FuzzLoad"),
    ],
    swiftLanguageModes: [.v5]
)
