#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HDF5

/// Keeps libhdf5 from crashing or hanging the calling process on files whose structure nothing
/// vouches for: every in-process HDF5 parse of a file without a valid ckpt manifest
/// (`CheckpointFile.load`, `DataFile.load`) is preceded by `HDF5Probe` in a child process.
///
/// Files `save` wrote carry a manifest whose hash covers every byte HDF5 parses, so a damaged
/// one is rejected before HDF5 sees it and a sound one costs nothing here (no fork). Files
/// from other writers (h5py, `python/ckpt_h5py.py`), stripped or fuzzed bytes have no such
/// proof: if libhdf5 dies or loops on them in the probe, the caller gets a `CheckpointError`
/// naming the file instead of a dead process. An ordinary HDF5 error in the probe is left to
/// the in-process parse, which reports it in its own words. A global heap collection whose
/// objects reach past its end is refused outright (`HDF5Probe.Outcome.corruptGlobalHeap`).
public enum ForeignFileProbe {
    /// Caps on the probe's CPU and wall-clock seconds (nil: `HDF5Probe.Limits.forFile`, 10 CPU s
    /// plus 1 per 32 MiB, wall clock 4x). The fuzz target sets them below libFuzzer's -timeout.
    public static var maxCPUSeconds: Int?
    public static var maxWallSeconds: Double?
    /// Tests only: off shows the walk itself containing a file that really crashes libhdf5.
    static var checkGlobalHeaps = true
    /// `CKPT_NO_ISOLATION=1` parses in-process without a probe (debugging libhdf5 itself).
    static let disableVariable = "CKPT_NO_ISOLATION"

    /// Probes `path` unless it carries a ckpt manifest that verifies. `manifestVerified`: the
    /// caller has already run `FileManifest.verify` (which throws on a mismatch), so a file with
    /// a manifest is known good. Throws `CheckpointError.unreadable` when libhdf5 crashed, hung
    /// or ran out of CPU time on the file in the probe, or its global heap is inconsistent.
    static func check(_ path: String, manifestVerified: Bool) throws {
        var manifest = "it has no ckpt manifest"
        if CheckpointFile.hasManifest(path) {
            if manifestVerified { return }
            if (try? FileManifest.verify(path)) != nil { return }
            manifest = "its ckpt manifest does not match its bytes"
        }
        guard getenv(disableVariable) == nil, access(path, R_OK) == 0 else { return }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return }
        var limits = HDF5Probe.Limits.forFile(bytes: Int(st.st_size), maxDepth: CheckpointFormat.maxDepth,
                                              maxObjects: CheckpointFormat.maxObjects)
        if let c = maxCPUSeconds { limits.cpuSeconds = min(limits.cpuSeconds, c) }
        if let w = maxWallSeconds { limits.wallSeconds = min(limits.wallSeconds, w) }
        limits.checkGlobalHeaps = checkGlobalHeaps
        let outcome = HDF5Probe.run(path, limits: limits)
        guard outcome.isFatal else { return }
        let what = outcome == .corruptGlobalHeap ? "\(outcome.summary) (found by an isolated probe)"
                                                  : "\(outcome.summary) parsing this file in an isolated probe"
        throw CheckpointError.unreadable(file: path, path: "/",
                                         reason: "\(what); \(manifest), so its structure cannot be trusted")
    }

    /// Probes `path` (as `CheckpointFile.load` does for a file without a valid manifest) and
    /// throws what `load` would throw for a crash or hang; for callers that hand the file to
    /// HDF5 themselves.
    public static func check(_ path: String) throws {
        try check(path, manifestVerified: false)
    }
}
