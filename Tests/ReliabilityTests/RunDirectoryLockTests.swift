import Ckpt
import Foundation
import Testing

/// Issue 15: two `ckpt train --out D` at once mixed their `epoch-N.h5` files. One writer per
/// run directory: the second is refused before it writes, with a message naming the holder;
/// liveness is the lock's (a second `open` + `flock` in this process conflicts as another
/// process's would, since flock locks belong to open file descriptions).
@Suite struct RunDirectoryLockTests {
    static let binary: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        var dirs: [URL] = []
        if let d = ProcessInfo.processInfo.environment["CKPT_BIN_DIR"] { dirs.append(URL(fileURLWithPath: d)) }
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        dirs.append(root.appendingPathComponent(".build/release"))
        return dirs.map { $0.appendingPathComponent("ckpt").path }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let flockTool = ["/usr/bin/flock", "/bin/flock"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Whether another open file description holds the flock of `path`.
    func lockIsHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) != 0
    }

    func hostName() -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        return String(cString: host)
    }

    @Test func aSecondWriterIsRefusedNamingTheHolder() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let first = try RunDirectoryLock.acquire(dir, command: "ckpt train")
        do {
            _ = try RunDirectoryLock.acquire(dir, command: "ckpt resume")
            Issue.record("a second writer got the lock")
        } catch let e as RunError {
            let text = e.description
            #expect(text.hasPrefix(dir + ": another ckpt process is writing checkpoints here"), "\(text)")
            #expect(text.contains("pid \(getpid()) on host \(hostName())") && text.contains("(ckpt train)"), "\(text)")
        }
        first.release()
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + RunDirectoryLock.fileName), "released: the file is gone")
        let again = try RunDirectoryLock.acquire(dir, command: "ckpt resume")
        again.release()
    }

    /// A lock file left by a killed writer (no process holds it) is simply taken over.
    @Test func aLeftoverLockFileIsTakenOver() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        writeBytes(Array("pid 1\nhost elsewhere\nstarted 2020-01-01T00:00:00Z\ncommand ckpt train\n".utf8),
                   to: dir + "/" + RunDirectoryLock.fileName)
        let lock = try RunDirectoryLock.acquire(dir, command: "ckpt train")
        let text = String(decoding: readBytes(dir + "/" + RunDirectoryLock.fileName), as: UTF8.self)
        #expect(text.hasPrefix("pid \(getpid())\nhost "), "\(text)")
        lock.release()
    }

    /// The lock file is never followed: a symlink in its place is refused, the target untouched.
    @Test func aSymlinkedLockFileIsRefused() throws {
        let dir = makeScratchDirectory(), outside = makeScratchDirectory()
        defer { removeDirectory(dir); removeDirectory(outside) }
        writeBytes([7, 7], to: outside + "/victim")
        #expect(symlink(outside + "/victim", dir + "/" + RunDirectoryLock.fileName) == 0)
        #expect(throws: RunError.self) { try RunDirectoryLock.acquire(dir, command: "ckpt train") }
        #expect(readBytes(outside + "/victim") == [7, 7])
    }

    /// `ckpt train --out D` while another process holds D: exit 2 before training, the holder
    /// named, nothing written.
    @Test(.enabled(if: binary != nil && flockTool != nil, "ckpt is not built, or flock(1) is missing"))
    func trainIntoABusyDirectoryExitsWith2() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let out = dir + "/run"
        mkdir(out, 0o755)
        writeBytes(Array("pid 4242\nhost otherbox\nstarted 2026-11-25T10:00:00Z\ncommand ckpt train\n".utf8),
                   to: out + "/" + RunDirectoryLock.fileName)
        // Another process holds the lock: flock(1) keeps it while `cat` runs, until its input closes.
        let holder = Process(), input = Pipe()
        holder.executableURL = URL(fileURLWithPath: Self.flockTool!)
        holder.arguments = ["--nonblock", out + "/" + RunDirectoryLock.fileName, "cat"]
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        defer { try? input.fileHandleForWriting.close(); holder.waitUntilExit() }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !lockIsHeld(out + "/" + RunDirectoryLock.fileName) { usleep(20_000) }
        let config = dir + "/c.json"
        writeBytes(Array("""
            {"model": {"type": "mlp", "sizes": [3072, 2, 10]},
             "data": {"dataset": "synthetic", "train_size": 4, "test_size": 0, "batch_size": 4},
             "optimizer": {"type": "SGD", "lr": 0.1}, "epochs": 1, "seed": 1}
            """.utf8), to: config)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary!)
        p.arguments = ["train", "--config", config, "--out", out]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 2)
        #expect(text.contains("another ckpt process is writing checkpoints here (pid 4242 on host otherbox, started 2026-11-25T10:00:00Z (ckpt train))"), "\(text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == [RunDirectoryLock.fileName], "nothing written")
    }
}
