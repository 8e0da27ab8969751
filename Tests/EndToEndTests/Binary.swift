import CkptTestSupport
import Foundation

/// Runs the built executables (`ckpt`, `custom-loop`) as a user would, found by
/// `BuiltProducts` (beside the test bundle, then `.build/release` and `.build/debug`).
enum Binary {
    static func path(_ name: String) -> String? { BuiltProducts.path(name) }

    static func launch(_ name: String, _ args: [String], in dir: String) throws -> (Process, Pipe, Pipe) {
        guard let exe = name.hasPrefix("/") ? name : path(name) else { throw notBuilt(name) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    /// Runs to completion and returns the exit status and both outputs.
    @discardableResult
    static func run(_ name: String, _ args: [String], in dir: String) throws -> Subprocess.Result {
        guard let exe = name.hasPrefix("/") ? name : path(name) else { throw notBuilt(name) }
        return try Subprocess.run(exe, args, in: dir)
    }

    static func notBuilt(_ name: String) -> Error {
        NSError(domain: "EndToEnd", code: 1, userInfo: [NSLocalizedDescriptionKey:
            "\(name) is not built: run `swift build -c release --product \(name)` first"])
    }

    static func ckpt(_ args: [String], in dir: String) throws -> Subprocess.Result { try run("ckpt", args, in: dir) }
}

/// A fresh temporary directory per test, removed afterwards by the caller.
func makeTempDir() -> String { makeScratchDirectory("ckpt-e2e") }

func write(_ text: String, to path: String) {
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// The directory's entries, without the run-id file every run directory holds (`.ckpt-run`,
/// RunDirectoryClaim); temporaries and other hidden files are listed.
func files(in dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0 != ".ckpt-run" }.sorted()
}

/// The tiny run every test trains: an MLP on 64 synthetic samples, 8 batches per epoch.
let tinyConfig = """
    {"model": {"type": "mlp", "sizes": [3072, 16, 10]},
     "data": {"dataset": "synthetic", "train_size": 64, "test_size": 32, "batch_size": 8},
     "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9},
     "scheduler": {"type": "ExponentialLR", "gamma": 0.9},
     "epochs": 3, "checkpoint": {"every_steps": 5}}
    """
