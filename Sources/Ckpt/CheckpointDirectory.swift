import Foundation

/// Finding checkpoints in a run directory (`ckpt resume DIR`).
public enum CheckpointDirectory {
    /// The checkpoint files of `directory`: names ending in `.h5` that are neither hidden nor
    /// temporaries of an unfinished save (which contain `.tmp`), in name order. Missing
    /// directory: an error naming it.
    public static func candidates(in directory: String) throws -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw RunError.file(directory, "no such directory")
        }
        let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter {
            $0.hasSuffix(".h5") && !$0.hasPrefix(".") && !$0.contains(".tmp") && !CheckpointFile.isTemporary($0)
        }.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }

    /// The checkpoint in `directory` that has come furthest, by its recorded progress (global
    /// step, then epoch; never by modification time or name, which copies and restores
    /// change), among those that load with valid checksums and a readable `/progress` (and a
    /// run config, unless `requiringConfig` is false: a run of the caller's own network saves
    /// none). Checkpoints marked non-finite (`Run.nonFiniteKey`) are skipped unless
    /// `includingNonFinite`. Nil when there is none (an empty or new directory).
    public static func newestValid(in directory: String, requiringConfig: Bool = true,
                                   includingNonFinite: Bool = false) throws -> String? {
        guard FileManager.default.fileExists(atPath: directory) else { return nil }
        var best: (path: String, step: Int, epoch: Int)?
        for path in try candidates(in: directory) {
            guard let c = try? CheckpointFile.load(path), let p = c.progress,
                  let progress = try? RunProgress(stateDict: p), !requiringConfig || c.config != nil,
                  includingNonFinite || c.metadata[Run.nonFiniteKey] == nil else { continue }
            if best.map({ (progress.globalStep, progress.epoch) > ($0.step, $0.epoch) }) ?? true {
                best = (path, progress.globalStep, progress.epoch)
            }
        }
        return best?.path
    }
}
