// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets over CheckpointFile.load and TorchFile.read. Build and run with ./run.sh: every Swift module
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
        // The torch.save reader alone, in memory (run-torch.sh).
        .executableTarget(
            name: "fuzz-torch",
            dependencies: ["CFuzzDriver", .product(name: "CkptFormat", package: "ckpt")],
            path: "Sources/FuzzTorch"),
    ],
    swiftLanguageModes: [.v5]
)
