import CkptTestSupport
import Foundation
import Testing

/// `ckpt inspect`, `verify` and `diff` parse files in a child process of the built binary: its
/// output and status pass through unchanged, and a child that dies (as it would if the HDF5
/// library crashed on a crafted file: here the test kills it) is reported as an unreadable or
/// corrupt file with exit status 2. Needs the built binary (`swift build -c release --product
/// ckpt`); skipped without it.
@Suite(.enabled(if: BuiltProducts.ckpt != nil, "ckpt is not built (swift build -c release --product ckpt)"))
struct IsolationTests {
    func ckpt(_ args: [String]) throws -> Subprocess.Result {
        try Subprocess.run(try #require(BuiltProducts.ckpt), args)
    }

    @Test(arguments: ["verify", "inspect", "diff"])
    func isolatedCommandPassesItsOutputThrough(command: String) throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let good = try tinyRunCheckpoint(in: dir)
        let args = command == "diff" ? [command, good, good] : [command, good]
        let ok = try ckpt(args)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(!ok.stdout.isEmpty)
        #expect(ok.stderr.isEmpty)
    }

    /// The child is killed while it waits to open a FIFO (nobody writes to it, so it waits
    /// forever): by SIGSEGV and SIGABRT as libhdf5 dies, by SIGXCPU as at its CPU limit.
    @Test(arguments: [(SIGSEGV, "the HDF5 reader crashed (signal 11, SIGSEGV)"),
                      (SIGABRT, "the HDF5 reader crashed (signal 6, SIGABRT)"),
                      (SIGXCPU, "gave up after 20 s of CPU time (the reader does not finish)")])
    func childKilledBySignalIsExitTwoWithAMessage(signal: Int32, words: String) throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let fifo = dir + "/run.h5"
        #expect(mkfifo(fifo, 0o600) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(BuiltProducts.ckpt))
        p.arguments = ["verify", fifo]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let child = try #require(Self.waitForChild(of: p.processIdentifier), "ckpt started no child within 60 s")
        kill(child, signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 2)
        #expect(stderr == "ckpt verify: \(fifo): unreadable or corrupt file: \(words)\n")
    }

    /// `ckpt inspect FILE | head`: the reader of stdout is gone before the isolated child
    /// writes, so the child dies of SIGPIPE. That is no crash and says nothing about the file:
    /// the command ends by SIGPIPE itself, silently, as `cat` would (a shell reports 141).
    @Test(arguments: ["inspect", "verify", "diff"])
    func closedStdoutEndsTheCommandQuietlyBySIGPIPE(command: String) throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let good = try tinyRunCheckpoint(in: dir)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        close(fds[0])  // nobody will read
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(BuiltProducts.ckpt))
        p.arguments = command == "diff" ? [command, good, good] : [command, good]
        let err = Pipe()
        p.standardOutput = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
        p.standardError = err
        try p.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGPIPE,
                "\(p.terminationReason == .exit ? "exit" : "signal") \(p.terminationStatus)")
        #expect(stderr == "", "\(stderr)")
    }

    /// A stop signal sent to the isolated child alone (SIGTERM, SIGINT) is not a crash
    /// either: the command ends by the same signal, without blaming the file.
    @Test(arguments: [SIGTERM, SIGINT])
    func childStoppedBySignalEndsTheCommandBySignal(signal: Int32) throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let fifo = dir + "/run.h5"
        #expect(mkfifo(fifo, 0o600) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(BuiltProducts.ckpt))
        p.arguments = ["verify", fifo]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let child = try #require(Self.waitForChild(of: p.processIdentifier), "ckpt started no child within 60 s")
        kill(child, signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == signal)
        #expect(stderr == "", "\(stderr)")
    }

    /// The first child process of `pid` (from /proc/PID/task/*/children), waiting for it.
    static func waitForChild(of pid: Int32) -> Int32? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            for t in tasks {
                let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/children", encoding: .utf8)) ?? ""
                if let child = text.split(separator: " ").first.flatMap({ Int32($0) }) { return child }
            }
            usleep(10_000)
        }
        return nil
    }

    /// `resume` and `train --init-from` parse in-process: a file without ckpt's manifest on
    /// which libhdf5 1.10.8 really crashes (fixtures/hostile/vlen_heap_crash.h5) is refused by
    /// the library's isolated probe (its global heap check), so the command stops with exit 2
    /// and a message before training, and writes nothing.
    @Test(arguments: ["resume", "init-from"])
    func inProcessParsingContainsALibhdf5Crash(command: String) throws {
        let hostile = Repository.path("fixtures/hostile/vlen_heap_crash.h5")  // no manifest
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let args = command == "resume"
            ? ["resume", hostile, "--out", dir + "/out"]
            : ["train", "--init-from", hostile, "--out", dir + "/out", "--epochs", "1"]
        let r = try ckpt(args)
        #expect(r.status == 2)
        #expect(r.stderr.contains(hostile) && r.stderr.contains("global heap") && r.stderr.contains("isolated probe"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"), "nothing may be written")
    }
}
