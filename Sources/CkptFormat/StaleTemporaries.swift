#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CheckpointFile {
    /// Removes the temporaries (`.<name>.partial-<pid>-<random>`) in `directory` whose writer
    /// is gone: a save killed with `kill -9` (or a power cut) leaves its temporary behind, and
    /// nothing else would ever delete it. A temporary is removed only when no process with its
    /// pid exists (`kill(pid, 0)` fails with ESRCH); a live writer's, or one whose pid now
    /// belongs to another process, is left alone. Assumes writers run on this machine (in
    /// this pid namespace). Returns the paths removed; errors are ignored (best effort).
    @discardableResult
    public static func removeStaleTemporaries(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if isTemporary(name) { names.append(name) }
        }
        closedir(dir)
        var removed: [String] = []
        for name in names {
            guard let pid = writerPID(name), pid > 0, pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// The pid in `.<name>.partial-<pid>-<random>`, or nil.
    static func writerPID(_ name: String) -> pid_t? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, (parts[parts.count - 3] + "-").hasSuffix(AtomicFile.partialMarker) else { return nil }
        return pid_t(parts[parts.count - 2])
    }
}
