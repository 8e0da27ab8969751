#if canImport(Glibc)
import Glibc
#endif
import CkptFormat

extension ParseIsolation {
    /// Before a command that must parse in-process (`resume`, `train --init-from`) opens files
    /// that carry no ckpt manifest, a child `ckpt inspect FILE` (with the usual limits, output
    /// discarded) parses each first: if HDF5 crashes or loops on it there, the file is reported
    /// as corrupt (exit 2) instead of killing the training process. Files ckpt wrote are
    /// covered by their manifest and skip the probe; an ordinary error in the child (not a
    /// checkpoint, missing group) is left for the real load to report in its own words.
    public static func probe(_ files: [String]) throws {
        guard isEnabled, getenv(disableVariable) == nil, access("/proc/self/exe", X_OK) == 0 else { return }
        for file in files where access(file, R_OK) == 0 && !CheckpointFile.hasManifest(file) {
            let limits = Limits.forInput(bytes: totalSize([file]))
            let reason: String
            switch spawnAndWait(arguments: [CommandLine.arguments[0], "inspect", file], limits: limits, quiet: true) {
            case .exited, .spawnFailed: continue
            case .signaled(let sig): reason = "the HDF5 reader crashed (\(signalName(sig)))"
            case .timedOut: reason = "gave up after \(limits.wallSeconds) s (the reader does not finish)"
            case .cpuLimit: reason = "gave up after \(limits.cpuSeconds) s of CPU time (the reader does not finish)"
            }
            throw CheckpointError.unreadable(file: file, path: "/", reason: "corrupt file: \(reason)")
        }
    }
}
