import Foundation

/// One writer per run directory: `ckpt train` and `ckpt resume` hold an exclusive `flock` on
/// `DIR/.ckpt-lock` for the whole run, so a second run writing into the same directory (two
/// `train --out D` at once, a `resume` of a live run) is refused before it writes anything,
/// instead of mixing its `epoch-N.h5` files with the first's.
///
/// Liveness is decided by the lock alone: the kernel drops it when the holder exits, however
/// it exits, so a lock file left by `kill -9` is simply taken over. The file holds the
/// holder's pid, host, start time and command, only to name the holder in the refusal (a pid
/// means nothing in another pid namespace or on another host). The file is opened relative to
/// the directory with `O_NOFOLLOW` and written through its descriptor; `release()` (or the
/// end of the process) removes it while still holding the lock, and `acquire` checks after
/// locking that the name still refers to the file it locked, so a file removed in between is
/// never mistaken for the live one.
public final class RunDirectoryLock {
    public static let fileName = ".ckpt-lock"

    /// The locked directory.
    public let directory: String
    private var dirFD: Int32
    private var fd: Int32

    private init(directory: String, dirFD: Int32, fd: Int32) {
        self.directory = directory
        self.dirFD = dirFD
        self.fd = fd
    }

    deinit { release() }

    /// Creates `directory` if needed and locks it for this process; `command` ("ckpt train")
    /// is recorded for the message another writer gets. Throws `RunError.file(directory, …)`
    /// naming the holder when another process holds the lock.
    public static func acquire(_ directory: String, command: String) throws -> RunDirectoryLock {
        if !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw RunError.file(directory, "cannot create the directory: \(error.localizedDescription)")
            }
        }
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw RunError.file(directory, "cannot open the directory: \(errnoText())") }
        for _ in 0..<8 {
            let fd = openat(dirFD, fileName, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                let reason = errnoText()
                close(dirFD)
                throw RunError.file(directory, "cannot open its lock file \(fileName): \(reason)")
            }
            var st = stat()
            guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                close(dirFD)
                throw RunError.file(directory, "\(fileName) is not a regular file; remove it")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let holder = Self.holder(fd)
                close(fd)
                close(dirFD)
                throw RunError.file(directory, "another ckpt process is writing checkpoints here (\(holder)); wait for it to end, or give this run another directory")
            }
            // The previous holder may have removed the file between our open and our lock.
            var now = stat()
            guard fstatat(dirFD, fileName, &now, AT_SYMLINK_NOFOLLOW) == 0, now.st_dev == st.st_dev, now.st_ino == st.st_ino else {
                close(fd)
                continue
            }
            let lock = RunDirectoryLock(directory: directory, dirFD: dirFD, fd: fd)
            lock.record(command: command)
            return lock
        }
        close(dirFD)
        throw RunError.file(directory, "cannot lock \(fileName): it keeps being replaced")
    }

    /// Removes the lock file and releases the lock (idempotent).
    public func release() {
        guard fd >= 0 else { return }
        var a = stat(), b = stat()
        if fstat(fd, &a) == 0, fstatat(dirFD, Self.fileName, &b, AT_SYMLINK_NOFOLLOW) == 0,
           a.st_dev == b.st_dev, a.st_ino == b.st_ino {
            unlinkat(dirFD, Self.fileName, 0)
        }
        close(fd)
        close(dirFD)
        fd = -1
        dirFD = -1
    }

    /// "pid 123 on host h, started 2026-11-25T10:00:00Z (ckpt train)": what the lock file
    /// says, or that it says nothing readable.
    static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        var fields: [String: String] = [:]
        for line in String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let pid = fields["pid"] else { return "held by a process that has not said who it is yet" }
        var text = "pid \(pid)"
        if let host = fields["host"] { text += " on host \(host)" }
        if let started = fields["started"] { text += ", started \(started)" }
        if let command = fields["command"] { text += " (\(command))" }
        return text
    }

    private func record(command: String) {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let text = "pid \(getpid())\nhost \(String(cString: host))\nstarted \(CheckpointFile.isoTimestamp())\ncommand \(command)\n"
        _ = ftruncate(fd, 0)
        _ = Array(text.utf8).withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
