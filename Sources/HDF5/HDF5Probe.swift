import CHDF5Probe

/// Reads an untrusted HDF5 file with libhdf5 in a forked child process and has the child write
/// what it read into a fresh file, so that a crash or endless loop of the C library on a
/// crafted file kills the child, not the caller, and the caller never decodes the untrusted
/// file's metadata at all: it parses only the copy (`HDF5File.openRebuilt`), whose structure
/// libhdf5 wrote itself.
///
/// HDF5 1.10 crashes on some crafted files (variable-length strings pointing into a corrupt
/// global heap: H5HG_read, H5T__conv_vlen; corrupt metadata cache entries: H5C_protect), and
/// whether an out-of-bounds access crashes depends on the memory around it: a file the child
/// survived could still crash a second parse of the same bytes (fuzzing found such files), so
/// the caller makes no second parse. The child (`Sources/CHDF5Probe`, C only, ends with
/// `_exit`) makes the reader's calls: every group and link in the reader's listing order,
/// every attribute value and every dataset's data (in slices of a few MiB) in the memory types
/// the reader uses, and stores those values in the copy in those same types. Before that it
/// checks the layout of every global heap collection, and during it every variable-length
/// string's reference into them (`.corruptGlobalHeap`).
///
/// What the child cannot read becomes an `HDF5Finding`, replayed by the copy where the reader
/// would meet it, so a damaged object deep in a file fails the same call it would have failed.
///
/// The fork happens inside an HDF5 callback, i.e. while this thread holds libhdf5's global
/// lock, so it is safe in a multi-threaded process.
public enum HDF5Probe {
    /// How far the child may go.
    public struct Limits: Equatable, Sendable {
        /// Wall-clock seconds before the child is killed.
        public var wallSeconds: Double
        /// CPU seconds of the child (RLIMIT_CPU).
        public var cpuSeconds: Int
        /// Bytes the child may allocate beyond what it inherits from the caller.
        public var extraDataBytes: Int
        public var maxDepth: Int
        public var maxObjects: Int
        /// Most attributes one object may hold without a name index (0: no limit); the
        /// reader's own limit (`HDF5File.maxUnindexedAttributes`) by default. Past it the
        /// object's attribute listing fails with a finding that says why and what to do,
        /// before any attribute is read. Attributes with a name index are not limited.
        public var maxUnindexedAttributes: Int
        /// Dataset data is read in hyperslabs of at most this many bytes.
        public var sliceBytes: Int
        /// Check every global heap collection's layout before the walk (`.corruptGlobalHeap`).
        /// Tests only (`@_spi(Testing)`) turn it off, to show that a file really crashes libhdf5.
        @_spi(Testing) public var checkGlobalHeaps = true
        /// The largest copy the child may write (0: no limit); past it `.copyFailed`.
        public var maxCopyBytes: Int

        public init(wallSeconds: Double, cpuSeconds: Int, extraDataBytes: Int, maxDepth: Int, maxObjects: Int,
                    sliceBytes: Int = 4 << 20, maxCopyBytes: Int = 0,
                    maxUnindexedAttributes: Int = HDF5File.maxUnindexedAttributes) {
            self.maxCopyBytes = maxCopyBytes
            self.maxUnindexedAttributes = maxUnindexedAttributes
            self.wallSeconds = wallSeconds
            self.cpuSeconds = cpuSeconds
            self.extraDataBytes = extraDataBytes
            self.maxDepth = maxDepth
            self.maxObjects = maxObjects
            self.sliceBytes = sliceBytes
        }

        /// 10 CPU seconds plus 1 per 32 MiB of file, wall clock 4x that (a loaded machine),
        /// 1 GiB of memory plus 4x the file, a copy of 1 GiB plus 1024x the file (the reader's
        /// own limit for one compressed dataset): an honest file never comes near; a file that
        /// makes the library loop, allocate or write without end is stopped.
        public static func forFile(bytes: Int, maxDepth: Int = 64, maxObjects: Int = 2_000_000) -> Limits {
            let cpu = 10 + bytes / (32 << 20)
            let (scaled, overflow) = bytes.multipliedReportingOverflow(by: 1024)
            return Limits(wallSeconds: Double(4 * cpu), cpuSeconds: cpu, extraDataBytes: (1 << 30) + 4 * bytes,
                          maxDepth: maxDepth, maxObjects: maxObjects,
                          maxCopyBytes: overflow ? Int.max : scaled.addingReportingOverflow(1 << 30).partialValue)
        }
    }

    /// What became of a rebuild.
    public enum Outcome: Equatable, Sendable {
        /// The copy is complete (its findings say what could not be read).
        case ok
        /// The file cannot be opened at all (not HDF5, truncated): the findings hold one
        /// `.file` finding with HDF5's reason. No copy.
        case refused
        /// The child died of this signal inside libhdf5.
        case crashed(signal: Int32)
        /// The child did not finish within `Limits.wallSeconds`.
        case timedOut(seconds: Double)
        /// The child used up `Limits.cpuSeconds`.
        case cpuLimit(seconds: Int)
        /// The probe could not run (fork failed): nothing was learnt.
        case unavailable(errno: Int32)
        /// A global heap collection (variable-length strings) holds an object reaching past
        /// its end, or a string refers to an object its collection does not hold. libhdf5 1.10
        /// follows both unchecked: whether that crashes depends on what lies beyond in memory,
        /// so a walk that survived would prove nothing.
        case corruptGlobalHeap
        /// libhdf5 needed more memory than `Limits.extraDataBytes` (the caller's own parse
        /// would take it from the calling process).
        case memoryLimit(bytes: Int)
        /// Writing the copy failed (its `.write` finding says why: a full temporary directory):
        /// nothing is known about the file.
        case copyFailed

        /// True when the caller must not parse the file in-process.
        public var isFatal: Bool {
            switch self {
            case .crashed, .timedOut, .cpuLimit, .corruptGlobalHeap, .memoryLimit: true
            case .ok, .refused, .unavailable, .copyFailed: false
            }
        }

        /// What happened, for an error message ("libhdf5 crashed (signal 11, SIGSEGV)").
        public var summary: String {
            switch self {
            case .ok: "parsed cleanly"
            case .refused: "libhdf5 reported an error"
            case .crashed(let s): "libhdf5 crashed (\(HDF5Probe.signalName(s)))"
            case .timedOut(let t): "libhdf5 did not finish within \(Int(t.rounded())) s"
            case .cpuLimit(let t): "libhdf5 did not finish within \(t) s of CPU time"
            case .unavailable(let e): "the probe could not start (errno \(e))"
            case .copyFailed: "the isolated copy could not be written"
            case .memoryLimit(let b): "libhdf5 needed more than \(b >> 20) MiB of memory"
            case .corruptGlobalHeap:
                "its global heap (variable-length strings) is inconsistent (an object reaching past its collection, or a string naming an object that does not exist), which libhdf5 1.10 would follow unchecked"
            }
        }
    }

    /// Rebuilds the file at `path` into `copyPath` (created or truncated) in a child process and
    /// waits for it (at most `limits.wallSeconds`).
    public static func rebuild(_ path: String, into copyPath: String, limits: Limits) -> (outcome: Outcome, findings: [HDF5Finding]) {
        HDF5Library.ensure()
        var l = ckpt_probe_limits(
            wall_seconds: limits.wallSeconds, cpu_seconds: limits.cpuSeconds, extra_data_bytes: Int64(limits.extraDataBytes),
            max_depth: Int32(clamping: limits.maxDepth), max_objects: Int64(limits.maxObjects),
            max_unindexed_attributes: Int64(limits.maxUnindexedAttributes),
            slice_bytes: max(64, limits.sliceBytes), check_global_heaps: limits.checkGlobalHeaps ? 1 : 0,
            max_copy_bytes: Int64(clamping: limits.maxCopyBytes))
        var r = ckpt_probe_result()
        ckpt_h5_probe(path, copyPath, &l, &r)
        defer { ckpt_h5_probe_free(&r) }
        let findings = r.findings.map { HDF5Finding.parse(UnsafeRawBufferPointer(start: $0, count: r.findings_size)) } ?? []
        let outcome: Outcome = switch r.status {
        case CKPT_PROBE_OK: .ok
        case CKPT_PROBE_REFUSED: .refused
        case CKPT_PROBE_CRASHED: .crashed(signal: r.signal)
        case CKPT_PROBE_TIMED_OUT: .timedOut(seconds: limits.wallSeconds)
        case CKPT_PROBE_CPU_LIMIT: .cpuLimit(seconds: limits.cpuSeconds)
        case CKPT_PROBE_CORRUPT_HEAP: .corruptGlobalHeap
        case CKPT_PROBE_MEMORY_LIMIT: .memoryLimit(bytes: limits.extraDataBytes)
        case CKPT_PROBE_COPY_FAILED: .copyFailed
        default: .unavailable(errno: r.error)
        }
        return (outcome, findings)
    }

    /// Probes the calling thread has started so far: tests use it to show a path forks once or
    /// never, unaffected by the loads of tests running on other threads.
    @_spi(Testing) public static var count: Int { Int(ckpt_h5_probe_count()) }

    static func signalName(_ s: Int32) -> String {
        let names: [Int32: String] = [4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
                                      9: "SIGKILL", 11: "SIGSEGV", 31: "SIGSYS"]
        return "signal \(s)" + (names[s].map { ", \($0)" } ?? "")
    }
}
