#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe replacement of a file: write a temporary in the same directory, fsync it,
/// rename it over the target, fsync the directory. A process killed at any moment leaves
/// either the old file or the complete new one under the final name.
///
/// Temporaries are named `.<name>.partial-<pid>-<random>`: hidden, and never ending in the
/// target's extension, so nothing mistakes a leftover for a checkpoint.
enum AtomicFile {
    static let partialMarker = ".partial-"

    static func split(_ path: String) -> (dir: String, name: String) {
        if let slash = path.lastIndex(of: "/") {
            let dir = String(path[..<slash])
            return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
        }
        return (".", path)
    }

    static func temporaryPath(for path: String) -> String {
        let (dir, name) = split(path)
        let rand = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(dir)/.\(name)\(partialMarker)\(getpid())-\(rand)"
    }

    /// Writes via `body(temporaryPath)`, then commits. The temporary is removed on any error.
    static func write(to path: String, durable: Bool, _ body: (String) throws -> Void) throws {
        let (dir, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw CheckpointError.io(file: path, operation: "save", reason: "not a file name")
        }
        let tmp = temporaryPath(for: path)
        var committed = false
        defer { if !committed { unlink(tmp) } }
        try body(tmp)
        if durable { try fsyncPath(tmp, file: path, what: "fsync temporary file") }
        if rename(tmp, path) != 0 {
            throw CheckpointError.io(file: path, operation: "rename \(tmp)", reason: errnoText())
        }
        committed = true
        if durable { try fsyncPath(dir, file: path, what: "fsync directory \(dir)") }
    }

    static func fsyncPath(_ p: String, file: String, what: String) throws {
        let fd = open(p, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.io(file: file, operation: what, reason: errnoText()) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw CheckpointError.io(file: file, operation: what, reason: errnoText()) }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
