#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file a checkpoint directory names (a DCP `.metadata`'s `relative_path`, an index JSON's
/// shard): checked before anything opens it, because the names come from untrusted files.
///
/// The name must be one plain file name (no `/`, not `.` or `..`, no NUL); the file must
/// exist and be a regular file; a symlink is followed only when its target lies inside the
/// directory (a link out of it, such as to `/etc/passwd`, is refused naming both).
enum DirectoryMember {
    /// The path of `name` inside `dir`; `what` names the object that needs it in errors.
    static func path(_ name: String, in dir: String, for what: String) throws -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else {
            throw CheckpointError.malformed(file: dir, path: what, reason: "names the file \(name.debugDescription), which is not a plain file name inside the directory")
        }
        let full = dir + "/" + name
        var st = stat()
        guard lstat(full, &st) == 0 else {
            throw CheckpointError.malformed(file: full, path: what, reason: "missing: the directory does not hold \(name) (a shard was not copied, or the save did not finish)")
        }
        if (st.st_mode & S_IFMT) == S_IFLNK {
            guard let target = realPath(full), let base = realPath(dir), target.hasPrefix(base + "/") else {
                throw CheckpointError.malformed(file: full, path: what, reason: "a symlink pointing out of the directory (to \(realPath(full) ?? "a missing target")): refused")
            }
            guard stat(target, &st) == 0 else { throw CheckpointError.malformed(file: full, path: what, reason: "a dangling symlink") }
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.malformed(file: full, path: what, reason: "not a regular file")
        }
        return full
    }

    static func realPath(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// Whether `path` is a directory (following a symlink given on the command line).
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether `dir` holds an entry called `name` (any kind).
    static func exists(_ name: String, in dir: String) -> Bool {
        var st = stat()
        return lstat(dir + "/" + name, &st) == 0
    }

    /// The names in `dir` (no `.`/`..`), sorted; empty when it cannot be read.
    static func names(in dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { out.append(name) }
            if out.count > 100_000 { break }
        }
        return out.sorted()
    }
}
