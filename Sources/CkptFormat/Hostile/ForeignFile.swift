#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@_spi(Testing) import HDF5

/// Opens HDF5 files for the reader so that libhdf5 never decodes untrusted metadata in the
/// calling process: every file that this user's ckpt did not sign (`ManifestKey`) is read by
/// a forked child, which writes what it read into a fresh copy (`HDF5Probe.rebuild`); the
/// caller parses the copy. That covers h5py-written and foreign files, stripped or fuzzed
/// bytes, another user's checkpoints, and files whose manifest was forged: the manifest's
/// XXH64 is unkeyed, so a correct one proves integrity against accident, not authorship.
///
/// A file whose manifest hash and tag verify is parsed directly, at no extra cost, through
/// the descriptor that was checked (`/proc/self/fd`), so swapping the path after the check
/// gains nothing. If libhdf5 dies, loops or runs out of memory on an unsigned file in the
/// child, the caller gets a `CheckpointError.unreadable` naming the file; what the child could
/// not read surfaces as the reader's own error at the object concerned (`HDF5Finding`).
/// Non-regular files (FIFOs, devices, directories) are refused before anything reads them.
///
/// The copy lives in `$TMPDIR` (else /tmp) and is unlinked as soon as it is open. Large plain
/// datasets are not copied but read in place (external storage); compressed and converted data
/// is copied.
public enum ForeignFile {
    /// Seams for the tests, the fuzz target and bench-io only (`@_spi(Testing) import
    /// CkptFormat`); the defaults are what every other caller gets.
    @_spi(Testing) public struct Options: Sendable, Equatable {
        /// Caps on the child's CPU and wall-clock seconds (nil: `HDF5Probe.Limits.forFile`, 10
        /// CPU s plus 1 per 32 MiB, wall clock 4x). The fuzz target sets them below libFuzzer's
        /// -timeout.
        public var maxCPUSeconds: Int?
        public var maxWallSeconds: Double?
        /// Off shows the child containing a file that really crashes libhdf5.
        public var checkGlobalHeaps = true
        /// A smaller cap on the copy (`HDF5Probe.Limits.maxCopyBytes`).
        public var maxCopyBytes: Int?
        /// Parse the original in-process, no child: the reference the copy must not differ from
        /// (tests), and what the copy costs (bench-io).
        public var parseInProcess = false
        /// Where copies go instead of `$TMPDIR`.
        public var copyDirectory: String?

        public init(maxCPUSeconds: Int? = nil, maxWallSeconds: Double? = nil, checkGlobalHeaps: Bool = true,
                    maxCopyBytes: Int? = nil, parseInProcess: Bool = false, copyDirectory: String? = nil) {
            self.maxCPUSeconds = maxCPUSeconds
            self.maxWallSeconds = maxWallSeconds
            self.checkGlobalHeaps = checkGlobalHeaps
            self.maxCopyBytes = maxCopyBytes
            self.parseInProcess = parseInProcess
            self.copyDirectory = copyDirectory
        }
    }

    /// The options of the `open` calls made inside `ForeignFile.options.withValue(o) { ... }`.
    /// Task-local (per thread outside a task), so tests running in parallel in one process
    /// cannot switch the probe off under each other's loads, as a process-wide setting would.
    /// (Not `@TaskLocal`, whose generated `$options` cannot be marked SPI.)
    @_spi(Testing) public static let options = TaskLocal(wrappedValue: Options())

    /// Opens `path` read-only for the reader: the file itself when its ckpt manifest verifies and
    /// is signed with this user's key, else its rebuilt copy. The manifest and its signature are
    /// checked here, on the descriptor that is then parsed; with `rejectingMismatch`, a manifest
    /// that does not match the bytes throws its `FileManifest.verify` error (a verifying load),
    /// without it the file is only treated as foreign (listings, `ckpt inspect` of damage).
    ///
    /// Throws `HDF5Error` when the file cannot be opened at all (callers word that as before),
    /// `CheckpointError.unreadable` when it is not a regular file, or libhdf5 crashed, hung or
    /// ran out of CPU time or memory on it in the child, or its global heap is inconsistent,
    /// and `CheckpointError.io` when the copy cannot be written.
    ///
    /// `package`, not public: it returns an HDF5 module type, and no public API of CkptFormat
    /// exposes one (the package's tests call it).
    package static func open(_ path: String, rejectingMismatch: Bool) throws -> HDF5File {
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let fd = openWithoutBlocking(path)
        guard fd >= 0 else { return try HDF5File.open(path) }  // missing or unreadable: HDF5 words it
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return try HDF5File.open(path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.unreadable(file: path, path: "/", reason: "not a regular file (\(fileKind(st.st_mode)))")
        }
        var manifest = "it has no ckpt manifest"
        let verdict: FileManifest.Verdict?
        do { verdict = try FileManifest.verify(fd: fd, reportingAs: path) } catch {
            if rejectingMismatch { throw error }
            verdict = nil
        }
        switch verdict {
        case .verified(signed: true)?:
            if access("/proc/self/fd/\(fd)", R_OK) == 0 { return try HDF5File.open(descriptor: fd, reportingAs: path) }
            manifest = "/proc is not mounted to open it by descriptor"
        case .verified(signed: false)?:
            manifest = "its ckpt manifest is not signed by this user's key (\(ManifestKey.describeLocation()))"
        case .absent?:
            break
        case nil:
            manifest = "its ckpt manifest does not match its bytes"
        }
        let options = Self.options.get()
        if options.parseInProcess { return try HDF5File.open(path) }
        var limits = HDF5Probe.Limits.forFile(bytes: Int(st.st_size), maxDepth: CheckpointFormat.maxDepth,
                                              maxObjects: CheckpointFormat.maxObjects)
        let raised = ReadTimeLimit.cpuSeconds(default: limits.cpuSeconds)
        if raised > limits.cpuSeconds { (limits.cpuSeconds, limits.wallSeconds) = (raised, Double(4 * raised)) }
        if let c = options.maxCPUSeconds { limits.cpuSeconds = min(limits.cpuSeconds, c) }
        if let w = options.maxWallSeconds { limits.wallSeconds = min(limits.wallSeconds, w) }
        limits.checkGlobalHeaps = options.checkGlobalHeaps
        if let m = options.maxCopyBytes { limits.maxCopyBytes = m }

        let copy = try temporaryCopy(for: path)
        defer { unlink(copy) }  // the open copy stays readable until closed
        let (outcome, findings) = HDF5Probe.rebuild(path, into: copy, limits: limits)
        switch outcome {
        case .ok:
            return try HDF5File.openRebuilt(copy, original: path, findings: findings)
        case .refused:
            let f = findings.first { $0.scope == .file }
                ?? HDF5Finding(scope: .file, path: "/", name: "", operation: "open file", reason: "unreadable")
            throw f.error(file: path)
        case .copyFailed:
            let reason = findings.first { $0.scope == .write }.map { $0.error(file: path).reason } ?? "unknown"
            throw CheckpointError.io(file: path, operation: "write its isolated copy in \(temporaryDirectory) (set TMPDIR to use another directory)",
                                     reason: reason)
        case .unavailable:
            // fork failed: nothing was learnt, and refusing every foreign file would be worse.
            return try HDF5File.open(path)
        case .timedOut(let seconds):
            throw stopped(path, after: "\(Int(seconds.rounded())) s (wall clock)", limit: limits.cpuSeconds, bytes: Int(st.st_size), manifest)
        case .cpuLimit(let seconds):
            throw stopped(path, after: "\(seconds) s of CPU time", limit: seconds, bytes: Int(st.st_size), manifest)
        case .crashed, .memoryLimit, .corruptGlobalHeap:
            let what = outcome == .corruptGlobalHeap ? "\(outcome.summary) (found by an isolated probe)"
                                                      : "\(outcome.summary) parsing this file in an isolated probe"
            throw CheckpointError.unreadable(file: path, path: "/",
                                             reason: "\(what); \(manifest), so its structure cannot be trusted")
        }
    }

    /// The child reached its time limit: not a verdict on the file (a sound file of a million
    /// small objects can take that long), so the error says what happened and how to allow more.
    static func stopped(_ path: String, after: String, limit: Int, bytes: Int, _ manifest: String) -> CheckpointError {
        let mib = bytes >> 20
        let size = mib > 0 ? "\(mib) MiB" : "\(bytes) bytes"
        return .unreadable(file: path, path: "/", reason:
            "reading stopped after \(after), the limit for a file of \(size): \(manifest), so ckpt reads it first in an "
            + "isolated process, which it stops after a time that grows with the file's size (a crafted file can make "
            + "libhdf5 loop forever); \(ReadTimeLimit.howToRaise(limit: limit))")
    }

    static func fileKind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    static var temporaryDirectory: String {
        if let d = options.get().copyDirectory { return d }
        if let t = getenv("TMPDIR"), t.pointee != 0 { return String(cString: t) }
        return "/tmp"
    }

    /// A new empty file for the copy (mode 0600).
    private static func temporaryCopy(for path: String) throws -> String {
        var template = Array("\(temporaryDirectory)/ckpt-isolated-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw CheckpointError.io(file: path, operation: "create its isolated copy in \(temporaryDirectory) (set TMPDIR to use another directory)",
                                     reason: String(cString: strerror(errno)))
        }
        close(fd)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// `open(2)` read-only that returns at once on a FIFO (outside `ForeignFile`, whose `open` hides it).
private func openWithoutBlocking(_ path: String) -> Int32 {
    open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
}
