import Foundation

/// Runs the built executables (`ckpt`, `custom-loop`) as a user would.
///
/// Looks for them beside the test bundle first (what `swift test` builds), then under the
/// package's `.build/release` and `.build/debug` (from this file's path); `CKPT_BIN_DIR`
/// overrides both.
enum Binary {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ name: String) -> String? {
        var dirs: [URL] = []
        if let d = ProcessInfo.processInfo.environment["CKPT_BIN_DIR"] { dirs.append(URL(fileURLWithPath: d)) }
        if let exe = Bundle.main.executableURL { dirs.append(exe.deletingLastPathComponent()) }
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        dirs.append(packageRoot.appendingPathComponent(".build/release"))
        dirs.append(packageRoot.appendingPathComponent(".build/debug"))
        return dirs.map { $0.appendingPathComponent(name).path }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func launch(_ name: String, _ args: [String], in dir: String) throws -> (Process, Pipe, Pipe) {
        guard let exe = name.hasPrefix("/") ? name : path(name) else {
            throw NSError(domain: "EndToEnd", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "\(name) is not built: run `swift build -c release --product \(name)` first"])
        }
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
    static func run(_ name: String, _ args: [String], in dir: String) throws -> Result {
        let (p, out, err) = try launch(name, args, in: dir)
        // Read both pipes before waiting, so a chatty child cannot block on a full pipe.
        let errData = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            errData.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }

    final class Box: @unchecked Sendable { var data = Data() }

    static func ckpt(_ args: [String], in dir: String) throws -> Result { try run("ckpt", args, in: dir) }
}

/// A fresh temporary directory per test, removed afterwards by the caller.
func makeTempDir() -> String {
    let d = NSTemporaryDirectory() + "ckpt-e2e-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

func write(_ text: String, to path: String) {
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
}

func files(in dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}

/// The tiny run every test trains: an MLP on 64 synthetic samples, 8 batches per epoch.
let tinyConfig = """
    {"model": {"type": "mlp", "sizes": [3072, 16, 10]},
     "data": {"dataset": "synthetic", "train_size": 64, "test_size": 32, "batch_size": 8},
     "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9},
     "scheduler": {"type": "ExponentialLR", "gamma": 0.9},
     "epochs": 3, "checkpoint": {"every_steps": 5}}
    """
