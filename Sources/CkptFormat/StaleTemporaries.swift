#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CheckpointFile {
    /// Removes the temporaries (`.<name>.partial-…`) in `directory` whose writer is gone: a save
    /// killed with `kill -9` (or a power cut) leaves its temporary behind, and nothing else
    /// would ever delete it. A writer holds an exclusive `flock` on its temporary's `lock` file
    /// for the save's whole life (`AtomicFile`), so a temporary is removed only when this call
    /// can take that lock itself (`LOCK_EX|LOCK_NB`): a live writer's is kept whatever its pid
    /// namespace or host, as far as the file system carries `flock` (local ones do; NFS maps
    /// it to a whole-file lock on the server).
    ///
    /// Nothing is followed: entries are opened relative to the directory's descriptor with
    /// `O_NOFOLLOW`, removed only after a (dev, inode) check that the name still refers to the
    /// locked object, and a private directory loses only its regular files. A private
    /// directory without a `lock` file (a writer between `mkdir` and creating its lock, or
    /// killed there) is removed only when empty (`rmdir`), so a writer that has begun writing
    /// never loses it; a writer whose empty directory was removed starts over. Plain-file
    /// temporaries of earlier ckpt versions are removed when their lock is free. Symlinks and
    /// other kinds of entry are left alone. Returns the paths removed; errors are ignored
    /// (best effort).
    @discardableResult
    public static func removeStaleTemporaries(in directory: String) -> [String] {
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { return [] }
        defer { close(dirFD) }
        var removed: [String] = []
        for name in DescriptorCalls.names(in: dirFD) ?? [] where isTemporary(name) {
            guard let st = DescriptorCalls.status(of: name, in: dirFD) else { continue }
            let gone: Bool = switch DescriptorCalls.kind(st) {
            case S_IFDIR: removePrivateDirectory(name, in: dirFD)
            case S_IFREG: removeUnlockedFile(name, in: dirFD)
            default: false
            }
            if gone { removed.append(directory.hasSuffix("/") ? directory + name : directory + "/" + name) }
        }
        return removed
    }

    /// A temporary directory of `AtomicFile`: removed when its lock is free or it has none and is empty.
    private static func removePrivateDirectory(_ name: String, in dirFD: Int32) -> Bool {
        let privateFD = DescriptorCalls.open(name, in: dirFD, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        guard privateFD >= 0 else { return false }
        defer { close(privateFD) }
        let lockFD = lockedFile(AtomicFile.lockName, in: privateFD)
        if lockFD == -1 {
            // No lock file: only an empty directory goes (rmdir fails on any other).
            guard DescriptorCalls.isBound(name, in: dirFD, to: privateFD) else { return false }
            return unlinkat(dirFD, name, AT_REMOVEDIR) == 0
        }
        guard lockFD >= 0 else { return false }
        defer { close(lockFD) }
        guard DescriptorCalls.isBound(name, in: dirFD, to: privateFD),
              DescriptorCalls.isBound(AtomicFile.lockName, in: privateFD, to: lockFD)
        else { return false }
        // Holding the writer's lock: its files go, the lock file last, then the directory.
        for entry in DescriptorCalls.names(in: privateFD) ?? [] where entry != AtomicFile.lockName {
            if let st = DescriptorCalls.status(of: entry, in: privateFD), DescriptorCalls.kind(st) != S_IFDIR {
                unlinkat(privateFD, entry, 0)
            }
        }
        unlinkat(privateFD, AtomicFile.lockName, 0)
        guard DescriptorCalls.isBound(name, in: dirFD, to: privateFD) else { return false }
        return unlinkat(dirFD, name, AT_REMOVEDIR) == 0
    }

    /// A plain-file temporary (earlier ckpt versions; libhdf5 itself flocks a file it writes).
    private static func removeUnlockedFile(_ name: String, in dirFD: Int32) -> Bool {
        let fd = lockedFile(name, in: dirFD)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard DescriptorCalls.isBound(name, in: dirFD, to: fd) else { return false }
        return unlinkat(dirFD, name, 0) == 0
    }

    /// Opens regular file `name` without following a symlink and takes its `flock` without
    /// waiting. Returns the descriptor; -1 with errno ENOENT when absent, -2 when it is
    /// not a regular file, cannot be opened or its lock is held.
    private static func lockedFile(_ name: String, in dirFD: Int32) -> Int32 {
        var fd = DescriptorCalls.open(name, in: dirFD, O_RDWR | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0, errno == EACCES || errno == EROFS {
            fd = DescriptorCalls.open(name, in: dirFD, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        }
        if fd < 0 { return errno == ENOENT ? -1 : -2 }
        guard let st = DescriptorCalls.status(fd), DescriptorCalls.kind(st) == S_IFREG,
              flock(fd, LOCK_EX | LOCK_NB) == 0
        else {
            close(fd)
            return -2
        }
        return fd
    }
}
