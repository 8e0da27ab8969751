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
    /// forever): by SIGSEGV and SIGABRT as libhdf5 dies.
    @Test(arguments: [(SIGSEGV, "the HDF5 reader crashed (signal 11, SIGSEGV)"),
                      (SIGABRT, "the HDF5 reader crashed (signal 6, SIGABRT)")])
    func childKilledBySignalIsExitTwoWithAMessage(signal: Int32, words: String) throws {
        let (status, stderr, fifo) = try verifyFIFOKilledBy(signal)
        #expect(status == 2)
        #expect(stderr == "ckpt verify: \(fifo): unreadable or corrupt file: \(words)\n")
    }

    /// SIGXCPU, as at the child's CPU limit: not called corrupt (a sound, large file can take
    /// that long); the line names the file, the limit and how to raise it, and
    /// `CKPT_READ_SECONDS` raises the limit (an invalid value is said to be ignored).
    @Test(arguments: [(nil, "20 s", "CKPT_READ_SECONDS=80 in ckpt's environment"),
                      ("100", "100 s", "CKPT_READ_SECONDS=400 in ckpt's environment"),
                      ("5", "20 s", "CKPT_READ_SECONDS=80 in ckpt's environment"),
                      ("ten", "20 s", "CKPT_READ_SECONDS=80 in ckpt's environment (CKPT_READ_SECONDS=ten was ignored: not a whole number of seconds from 1 to 1000000)")])
    func childAtItsCPULimitNamesTheLimitAndHowToRaiseIt(setting: String?, limit: String, raise: String) throws {
        let (status, stderr, fifo) = try verifyFIFOKilledBy(SIGXCPU, readSeconds: setting)
        #expect(status == 2)
        let words: String = "ckpt verify: \(fifo): stopped after \(limit) of CPU time, the limit for 0 bytes of input "
            + "(ckpt limits the time it spends parsing files, since a crafted file can make libhdf5 loop forever); "
            + "if the file is sound and just large, allow more time with \(raise)\n"
        #expect(stderr == words)
    }

    /// SIGKILL to `ckpt verify` (which cannot forward it) leaves no orphan parsing on: the
    /// isolated child, here waiting forever on a FIFO, exits soon after its parent.
    @Test func theIsolatedChildDiesWithItsParent() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let fifo = dir + "/run.h5"
        #expect(mkfifo(fifo, 0o600) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(BuiltProducts.ckpt))
        p.arguments = ["verify", fifo]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let child = try #require(Self.waitForChild(of: p.processIdentifier), "ckpt started no child within 60 s")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        func alive() -> Bool {  // a zombie (not yet reaped by its new parent) has ended
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return !stat[stat.index(after: close)...].hasPrefix(" Z")
        }
        let deadline = Date().addingTimeInterval(30)
        while alive() && Date() < deadline { usleep(20_000) }
        let survived = alive()
        if survived { kill(child, SIGKILL) }
        #expect(!survived, "the isolated child \(child) outlived its parent by 30 s")
    }

    /// A checkpoint whose manifest was stripped (zeroed, as FORMAT.md says to accept an edit)
    /// still verifies, but not silently: nothing covers its metadata any more.
    @Test func aStrippedManifestVerifiesWithAWarning() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try tinyRunCheckpoint(in: dir)
        var bytes = readBytes(path)
        let layout = try #require(ManifestLayout(bytes))
        for i in 0..<layout.userBlock { bytes[i] = 0 }
        writeBytes(bytes, to: path)
        let r = try ckpt(["verify", path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect((r.stdout + r.stderr).contains("no ckpt manifest: the tensors' checksums verify, but nothing covers the metadata"),
                "\(r.stdout)\(r.stderr)")
    }

    /// `ckpt verify FIFO` (whose isolated child waits forever to open it), its child killed by
    /// `signal`: the exit status, stderr and the FIFO's path.
    func verifyFIFOKilledBy(_ signal: Int32, readSeconds: String? = nil) throws -> (Int32, String, String) {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let fifo = dir + "/run.h5"
        #expect(mkfifo(fifo, 0o600) == 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(BuiltProducts.ckpt))
        p.arguments = ["verify", fifo]
        var env = ProcessInfo.processInfo.environment
        env["CKPT_READ_SECONDS"] = readSeconds
        p.environment = env
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let child = try #require(Self.waitForChild(of: p.processIdentifier), "ckpt started no child within 60 s")
        kill(child, signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, stderr, fifo)
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
