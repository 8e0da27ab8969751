// swift-tools-version: 6.0
import PackageDescription

// Every library module builds with Swift's checks on (-O): bounds, overflow and preconditions
// trap instead of reading out of bounds. That includes CkptCore, whose JSON, TensorData and
// CIFAR-10 readers parse untrusted input beside the layers. The training loops need no flag:
// they run over raw buffer pointers, C kernels (CKernels) and OpenBLAS, and the few Swift
// loops where overflow checks cost index by pointer instead (measured, bench-train 2026-12:
// median images/s within 1% of the -Ounchecked build, callgrind instructions +0.08%).
// Only the benchmark executables below keep -Ounchecked; they parse nothing but their options.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

// The MPI flavour (docs/MPI.md): `CKPT_MPI=1 swift build --scratch-path .build-mpi` (`make mpi`)
// links parallel HDF5 (pkg-config hdf5-openmpi) and OpenMPI (CMPI) and compiles the distributed
// code (`#if CKPT_MPI`). Serial and parallel libhdf5 cannot share one binary, so the flavour is
// chosen when the manifest is read; without the variable the serial build is unchanged.
let mpi = Context.environment["CKPT_MPI"] == "1"
let mpiTargets: [Target] = mpi
    ? [.systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])])] : []
let mpiDependencies: [Target.Dependency] = mpi ? ["CMPI"] : []
let mpiSettings: [SwiftSetting] = mpi ? [.define("CKPT_MPI")] : []

let package = Package(
    name: "ckpt",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ckpt", targets: ["ckpt"]),
        .library(name: "Ckpt", targets: ["Ckpt"]),
        // The format alone, for fuzz/ (a separate package built with -sanitize=fuzzer).
        .library(name: "CkptFormat", targets: ["CkptFormat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // C libraries from Debian (installed by `make deps`).
        .systemLibrary(
            name: "CHDF5", pkgConfig: mpi ? "hdf5-openmpi" : "hdf5-serial",
            providers: [.apt([mpi ? "libhdf5-openmpi-dev" : "libhdf5-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Element-wise kernels in C: AVX2+FMA paths chosen at run time, portable fmaf() fallback.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),

        // Walks an untrusted HDF5 file in a forked child (a libhdf5 crash kills the child only).
        .target(name: "CHDF5Probe", dependencies: ["CHDF5"]),
        .target(name: "HDF5", dependencies: ["CHDF5", "CHDF5Probe"]),
        .target(
            name: "CkptCore",
            dependencies: ["CBLAS", "CKernels", .product(name: "OrderedCollections", package: "swift-collections")]),
        .target(name: "CkptOptim", dependencies: ["CkptCore", "CKernels"]),
        .target(name: "CkptFormat", dependencies: ["HDF5", "CkptCore"]),
        .target(name: "Ckpt", dependencies: ["CkptCore", "CkptOptim", "CkptFormat"] + mpiDependencies, swiftSettings: mpiSettings),
        .target(
            name: "CkptCLI",
            dependencies: ["Ckpt", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: mpiSettings),
        .executableTarget(name: "ckpt", dependencies: ["CkptCLI"]),
        // Benchmarks: `make bench` runs them beside their Python peers (Benchmarks/run.sh). Each
        // folder holds one benchmark: main.swift (ckpt's side), peers.py, run.sh.
        .executableTarget(
            name: "bench-io", dependencies: ["Ckpt"], path: "Benchmarks/IO", exclude: ["driver.py", "peers.py", "run.sh"],
            swiftSettings: fast),
        .executableTarget(
            name: "bench-optim", dependencies: ["Ckpt"], path: "Benchmarks/Optim", exclude: ["peers.py", "run.sh"],
            swiftSettings: fast),
        .executableTarget(
            name: "bench-train", dependencies: ["Ckpt"], path: "Benchmarks/Train", exclude: ["peers.py", "run.sh"],
            swiftSettings: fast),
        .executableTarget(
            name: "bench-async", dependencies: ["Ckpt"], path: "Benchmarks/Async", exclude: ["run.sh"],
            swiftSettings: fast),
        .executableTarget(
            name: "bench-dcp", dependencies: ["Ckpt"], path: "Benchmarks/DCP", exclude: ["peers.py", "run.sh"],
            swiftSettings: fast),
        // The README's custom training loop, compiled and run by the tests.
        .executableTarget(name: "custom-loop", dependencies: ["Ckpt"], path: "Examples/CustomLoop"),

        // What several test targets share: the repository root, the built executables, running
        // a program, which reference tools (python3 packages, h5dump, Chromium) are installed.
        .target(name: "CkptTestSupport", dependencies: ["CkptFormat"], path: "Tests/Support"),
        .testTarget(name: "HDF5Tests", dependencies: ["CkptTestSupport", "HDF5"]),
        .testTarget(name: "CkptCoreTests", dependencies: ["CkptTestSupport", "CkptCore", "CkptFormat", "HDF5"]),
        .testTarget(name: "CkptOptimTests", dependencies: ["CkptTestSupport", "CkptOptim", "CkptFormat"]),
        .testTarget(name: "CkptFormatTests", dependencies: ["CkptTestSupport", "CkptFormat"]),
        .testTarget(name: "CkptTests", dependencies: ["CkptTestSupport", "Ckpt"]),
        .testTarget(name: "CkptCLITests", dependencies: ["CkptTestSupport", "CkptCLI"]),
        .testTarget(name: "EndToEndTests", dependencies: ["CkptTestSupport", "Ckpt"]),
        .testTarget(name: "ReliabilityTests", dependencies: ["CkptTestSupport", "Ckpt", "HDF5"]),
    ] + mpiTargets,
    swiftLanguageModes: [.v5]
)
