import CkptFormat
import Foundation

/// Which run a directory's checkpoints belong to. Every run has an id (`Run.runID`, saved in
/// each checkpoint's root attribute `run_id` and kept by `resume`); `DIR/.ckpt-run` holds the id
/// of the run whose checkpoints `DIR` holds. A run writing into a directory another run owns,
/// or a fresh `train` into a directory that already holds checkpoints, is refused before it
/// writes anything: its `epoch-N.h5` would silently replace the other run's, and `resume DIR`
/// would then continue the wrong run.
///
/// A claim in a directory without checkpoints (its run died before the first save) is taken over.
/// Call it while holding `RunDirectoryLock`, so two runs cannot both claim an empty directory.
public enum RunDirectoryClaim {
    public static let fileName = ".ckpt-run"

    /// Claims `directory` for the run `runID`; `resumed` allows a directory without a claim
    /// file that already holds checkpoints (written before run ids existed).
    public static func claim(_ directory: String, runID: String, resumed: Bool) throws {
        let path = (directory as NSString).appendingPathComponent(fileName)
        let existing = (try? CheckpointDirectory.candidates(in: directory)) ?? []
        // A claim without checkpoints is a run that died before its first save: nothing to protect.
        if let owner = owner(of: directory), !existing.isEmpty || owner == runID {
            guard owner == runID else {
                throw RunError.file(directory, "holds the checkpoints of another run (run id \(owner) in \(fileName), this run is \(runID)); give another --out directory, or continue that run with `ckpt resume \(directory)`")
            }
            return
        }
        if !existing.isEmpty, !resumed {
            let names = existing.prefix(3).map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
            throw RunError.file(directory, "already holds checkpoints of an earlier run (\(names)\(existing.count > 3 ? ", ..." : "")); give an empty --out directory, or continue it with `ckpt resume \(directory)`")
        }
        do {
            try AtomicFile.write("run_id \(runID)\n", to: path)
        } catch {
            throw RunError.file(path, "cannot record the run id: \(error)")
        }
    }

    /// The run id recorded in `directory`, nil when there is none (or it cannot be read).
    public static func owner(of directory: String) -> String? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[..<n], as: UTF8.self)
        guard text.hasPrefix("run_id ") else { return nil }
        let id = text.dropFirst("run_id ".count).prefix { $0 != "\n" }
        return id.isEmpty ? nil : String(id)
    }
}
