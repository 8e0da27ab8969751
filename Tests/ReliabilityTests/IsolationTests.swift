import Foundation
import Testing

/// `ckpt inspect`, `verify` and `diff` parse files in a child process: a crash of the HDF5
/// library (stood in for by a signal the child raises, `CKPT_TEST_CHILD_SIGNAL`) is reported as
/// an unreadable or corrupt file with exit status 2, and normal output passes through unchanged.
/// Needs the built binary (`swift build -c release --product ckpt`); skipped without it.
@Suite struct IsolationTests {
    static let binary: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        var dirs: [URL] = []
        if let d = ProcessInfo.processInfo.environment["CKPT_BIN_DIR"] { dirs.append(URL(fileURLWithPath: d)) }
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        dirs.append(root.appendingPathComponent(".build/release"))
        return dirs.map { $0.appendingPathComponent("ckpt").path }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    func ckpt(_ args: [String], env: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary!)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test(.enabled(if: binary != nil, "ckpt is not built"), arguments: ["verify", "inspect", "diff"])
    func childCrashIsExitTwoWithAMessage(command: String) throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let good = try tinyRunCheckpoint(in: dir)
        let args = command == "diff" ? [command, good, good] : [command, good]
        let ok = try ckpt(args)
        #expect(ok.status == 0, "\(ok.err)")
        #expect(!ok.out.isEmpty)
        #expect(ok.err.isEmpty)
        for (signal, words) in [(11, "SIGSEGV"), (6, "SIGABRT"), (24, "gave up")] {
            let r = try ckpt(args, env: ["CKPT_TEST_CHILD_SIGNAL": String(signal)])
            #expect(r.status == 2)
            #expect(r.err.hasPrefix("ckpt \(command): \(good)"), "\(r.err)")
            #expect(r.err.contains("unreadable or corrupt file"), "\(r.err)")
            #expect(r.err.contains(words), "\(r.err)")
        }
    }

    /// `resume` and `train --init-from` parse in-process: a file without ckpt's manifest on
    /// which libhdf5 1.10.8 really crashes (fixtures/hostile/vlen_heap_crash.h5) is refused by
    /// the library's isolated probe (its global heap check), so the command stops with exit 2
    /// and a message before training, and writes nothing.
    @Test(.enabled(if: binary != nil, "ckpt is not built"), arguments: ["resume", "init-from"])
    func inProcessParsingContainsALibhdf5Crash(command: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let hostile = root.appendingPathComponent("fixtures/hostile/vlen_heap_crash.h5").path  // no manifest
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let args = command == "resume"
            ? ["resume", hostile, "--out", dir + "/out"]
            : ["train", "--init-from", hostile, "--out", dir + "/out", "--epochs", "1"]
        let r = try ckpt(args)
        #expect(r.status == 2)
        #expect(r.err.contains(hostile) && r.err.contains("global heap") && r.err.contains("isolated probe"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"), "nothing may be written")
    }
}
