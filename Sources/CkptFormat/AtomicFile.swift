#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way ckpt writes a file (checkpoints, safetensors, SVG charts): crash-safe
/// replacement that never follows a symlink it did not create, even when others can write
/// into the target's directory (a shared, group-writable run directory).
///
/// Protocol for `DIR/name`:
/// 1. Open `DIR` once (`dirFD`); every later step names entries relative to a descriptor.
/// 2. Create a private directory `DIR/.name.partial-<random>` (mode 0700), open it with
///    `O_NOFOLLOW` (`privateFD`) and check that it is a directory owned by this user with no
///    group or other permissions. Create `lock` in it (`O_EXCL`), `flock` it `LOCK_EX` for the
///    save's whole life, then check that both names still refer to the open descriptors (a
///    cleaner may have removed an unlocked directory in between; then start over).
/// 3. Write the content as `content` inside the private directory: ckpt's own writes go
///    through the descriptor it created the file with (`O_EXCL`); libhdf5, which takes a
///    path, gets `/proc/self/fd/<privateFD>/content`, which the kernel resolves through the
///    open descriptor, so renaming or replacing `DIR/.name.partial-…` changes nothing.
///    Afterwards the file is reopened relative to `privateFD` with `O_NOFOLLOW`.
/// 4. `fsync` the content's descriptor; `renameat(privateFD, "content", dirFD, "name")`;
///    `fsync(dirFD)`; remove `lock` and the private directory.
///
/// Why this is sound: only the owner (and root) can add, remove or rename entries of a 0700
/// directory, so nobody else can put a symlink where `content` or `lock` is looked up, and
/// the rename moves the file ckpt wrote, nothing else. What others *can* change is the
/// entry `DIR/.name.partial-…` itself, and no step after creating it resolves that name
/// except the final removal, which checks (dev, inode) first. The rename replaces whatever is
/// at `DIR/name` without following it; a symlink, directory or other non-regular file found
/// there beforehand is refused with an error rather than replaced. The directory path given
/// by the caller is resolved once, at step 1, as the caller's choice.
///
/// Liveness of temporaries: the `flock` on `lock` is held until the save ends (or the
/// process dies), so `CheckpointFile.removeStaleTemporaries` removes only temporaries whose
/// lock it can take: no process ids, so writers in other pid namespaces (containers sharing a
/// volume) are safe too. The lock is taken on a regular file opened for writing, as NFS needs
/// for an exclusive `flock`.
///
/// A process killed at any moment leaves the old `DIR/name` or the complete new one, plus at
/// worst the private directory, whose free lock marks it as stale.
///
/// Without `/proc` (Linux) the save fails with an error rather than hand libhdf5 a path
/// through the shared directory; on other systems libhdf5 gets that path and the content is
/// then looked up through `privateFD`, so a swapped directory makes the save fail.
public final class AtomicFile {
    static let partialMarker = ".partial-"
    static let contentName = "content"
    static let lockName = "lock"

    /// The target as the caller named it (errors name it).
    let target: String
    let directory: String
    let name: String
    /// `DIR/.name.partial-<random>`: the private directory's entry in `DIR`.
    let temporary: String
    let hooks: SaveHooks
    private let temporaryName: String
    private let dirFD: Int32
    private let privateFD: Int32
    private let lockFD: Int32
    private var contentFD: Int32 = -1
    private var committed = false

    /// Writes `bytes` to `path` through the protocol above (`durable: false` skips the fsyncs).
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true, hooks: SaveHooks = .none) throws {
        try write(to: path, durable: durable, hooks: hooks) { file in
            let fd = try file.createContent()
            let ok = bytes.withUnsafeBytes { DescriptorCalls.writeAll(fd, $0) }
            guard ok else { throw file.failure("write \(file.temporary)") }
        }
    }

    /// Writes `text` as UTF-8 (an SVG chart, a report).
    public static func write(_ text: String, to path: String, durable: Bool = true) throws {
        try write(Array(text.utf8), to: path, durable: durable)
    }

    /// Runs `body` to write the content (`createContent()` or, for libhdf5, `libraryPath`
    /// then `openContent()`), then commits; any error removes the temporary.
    static func write(to path: String, durable: Bool, hooks: SaveHooks = .none, _ body: (AtomicFile) throws -> Void) throws {
        let file = try AtomicFile(target: path, hooks: hooks)
        defer { file.finish() }
        hooks(.temporaryCreated, file.temporary)
        try body(file)
        try file.commit(durable: durable)
    }

    static func split(_ path: String) -> (dir: String, name: String) {
        if let slash = path.lastIndex(of: "/") {
            let dir = String(path[..<slash])
            return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
        }
        return (".", path)
    }

    static func errnoText() -> String { DescriptorCalls.errnoText() }

    private init(target: String, hooks: SaveHooks) throws {
        let (dir, name) = Self.split(target)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw CheckpointError.io(file: target, operation: "save", reason: "not a file name")
        }
        self.target = target
        self.directory = dir
        self.name = name
        self.hooks = hooks
        let dirFD = openPath(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else {
            throw CheckpointError.io(file: target, operation: "open directory \(dir)", reason: Self.errnoText())
        }
        var lastReason = "no attempt succeeded"
        // Bounded, so a writer that swaps every temporary it sees can refuse saves but never
        // loop one forever; 64, because a polling attacker on the other core wins most races
        // (16 attempts all lost in 1 of 40 saves of SymlinkRaceTests on 2 cores).
        for _ in 0..<Self.creationAttempts {
            let tmpName = ".\(name)\(Self.partialMarker)\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            switch Self.createPrivateDirectory(tmpName, in: dirFD) {
            case .created(let privateFD, let lockFD):
                self.dirFD = dirFD
                self.privateFD = privateFD
                self.lockFD = lockFD
                self.temporaryName = tmpName
                self.temporary = dir == "/" ? "/" + tmpName : dir + "/" + tmpName
                return
            case .retry(let reason):
                lastReason = reason
            case .failed(let reason):
                close(dirFD)
                throw CheckpointError.io(file: target, operation: "create a temporary directory in \(dir)", reason: reason)
            }
        }
        close(dirFD)
        throw CheckpointError.io(file: target, operation: "create a temporary directory in \(dir)", reason: lastReason)
    }

    /// How many private-directory names a save tries before it gives up (step 2).
    static let creationAttempts = 64

    private enum Creation {
        case created(privateFD: Int32, lockFD: Int32)
        /// Lost a race (name taken, removed or swapped meanwhile): try another name.
        case retry(String)
        case failed(String)
    }

    /// Step 2 of the protocol for one candidate name.
    private static func createPrivateDirectory(_ tmpName: String, in dirFD: Int32) -> Creation {
        if mkdirat(dirFD, tmpName, 0o700) != 0 {
            return errno == EEXIST ? .retry("\(tmpName) exists") : .failed(errnoText())
        }
        let privateFD = DescriptorCalls.open(tmpName, in: dirFD, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        guard privateFD >= 0 else { return .retry("\(tmpName) was replaced while being created") }
        guard let st = DescriptorCalls.status(privateFD), DescriptorCalls.kind(st) == S_IFDIR,
              st.st_uid == geteuid(), st.st_mode & 0o077 == 0
        else {
            close(privateFD)
            return .retry("\(tmpName) was replaced while being created")
        }
        let lockFD = DescriptorCalls.open(lockName, in: privateFD, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard lockFD >= 0 else {
            close(privateFD)
            return .retry("\(tmpName) was removed while being created")
        }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            let reason = errnoText()
            let lostRace = errno == EWOULDBLOCK || errno == EINTR
            close(lockFD)
            close(privateFD)
            return lostRace ? .retry("\(tmpName) was locked by a cleaner") : .failed("cannot lock it: \(reason)")
        }
        // A cleaner that took the free lock before ours removed both names: start over.
        guard DescriptorCalls.isBound(tmpName, in: dirFD, to: privateFD),
              DescriptorCalls.isBound(lockName, in: privateFD, to: lockFD)
        else {
            close(lockFD)
            close(privateFD)
            return .retry("\(tmpName) was removed while being created")
        }
        return .created(privateFD: privateFD, lockFD: lockFD)
    }

    /// The path libhdf5 creates the content at (step 3): through `/proc/self/fd` where it
    /// resolves to the private directory.
    func libraryPath() throws -> String {
        #if os(Linux)
        let viaProc = "/proc/self/fd/\(privateFD)"
        var st = stat()
        guard stat(viaProc, &st) == 0, DescriptorCalls.sameFile(st, DescriptorCalls.status(privateFD)) else {
            throw CheckpointError.io(file: target, operation: "reach \(temporary) through /proc/self/fd",
                                     reason: "/proc is not mounted; ckpt hands libhdf5 no path through a shared directory")
        }
        return viaProc + "/" + Self.contentName
        #else
        return temporary + "/" + Self.contentName
        #endif
    }

    /// Creates the content file (`O_EXCL`) and returns its descriptor, owned by this object.
    func createContent() throws -> Int32 {
        precondition(contentFD < 0, "content created twice")
        let fd = DescriptorCalls.open(Self.contentName, in: privateFD, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666)
        guard fd >= 0 else { throw failure("create \(temporary)/\(Self.contentName)") }
        contentFD = fd
        return fd
    }

    /// Opens the content file libhdf5 created and closed, without following a symlink.
    func openContent() throws -> Int32 {
        if contentFD >= 0 { return contentFD }
        let fd = DescriptorCalls.open(Self.contentName, in: privateFD, O_RDWR | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw failure("open \(temporary)/\(Self.contentName)") }
        contentFD = fd
        guard let st = DescriptorCalls.status(fd), DescriptorCalls.kind(st) == S_IFREG else {
            throw CheckpointError.io(file: target, operation: "open \(temporary)/\(Self.contentName)", reason: "not a regular file")
        }
        return fd
    }

    /// Step 4: fsync, checks of the target's name, rename, fsync of the directory.
    private func commit(durable: Bool) throws {
        let fd = try openContent()
        if durable, fsync(fd) != 0 { throw failure("fsync \(temporary)") }
        hooks(.beforeRename, temporary)
        if let existing = DescriptorCalls.status(of: name, in: dirFD), DescriptorCalls.kind(existing) != S_IFREG {
            throw CheckpointError.io(file: target, operation: "replace \(target)",
                                     reason: "it is \(DescriptorCalls.kindName(existing)); ckpt replaces only regular files (remove it first)")
        }
        guard renameat(privateFD, Self.contentName, dirFD, name) == 0 else { throw failure("rename \(temporary)") }
        committed = true
        hooks(.renamed, temporary)
        if durable, fsync(dirFD) != 0 { throw failure("fsync directory \(directory)") }
    }

    /// Removes what is left of the temporary and closes every descriptor.
    private func finish() {
        if !committed { unlinkat(privateFD, Self.contentName, 0) }
        if contentFD >= 0 { close(contentFD) }
        // The flock is released last: a cleaner may take it only once the directory is gone.
        unlinkat(privateFD, Self.lockName, 0)
        if DescriptorCalls.isBound(temporaryName, in: dirFD, to: privateFD) {
            unlinkat(dirFD, temporaryName, AT_REMOVEDIR)
        }
        close(lockFD)
        close(privateFD)
        close(dirFD)
    }

    func failure(_ operation: String) -> CheckpointError {
        .io(file: target, operation: operation, reason: Self.errnoText())
    }
}

/// `open(2)` by path, for the one path the caller chose (the target's directory).
private func openPath(_ path: String, _ flags: Int32) -> Int32 {
    while true {
        let fd = open(path, flags)
        if fd >= 0 || errno != EINTR { return fd }
    }
}

extension CheckpointError {
    /// For `.io`: "<operation> failed: <reason>" without the file's name, for callers that
    /// name the file themselves; otherwise the description.
    public var failureWithoutFile: String {
        if case .io(_, let op, let reason) = self { return "\(op) failed: \(reason)" }
        return description
    }
}
