import Foundation

/// How `Trainer` writes its checkpoints: records the metrics measured on the saved state,
/// saves synchronously or through an `AsyncCheckpointSaver`, and applies the config's
/// retention policy once each new file is durable (never before: a kill between the save and
/// the deletions leaves extra files, never fewer).
final class TrainerCheckpoints {
    let directory: String
    let policy: RetentionPolicy
    let onEvent: (Trainer.Event) -> Void
    let saveHooks: SaveHooks
    let retentionHooks: CheckpointRetention.Hooks
    private let saver: AsyncCheckpointSaver?
    private let cache = CheckpointListing.Cache()
    /// Metrics measured at (global step, epoch): recorded in a checkpoint of exactly that state.
    private var measured: (step: Int, epoch: Int, metrics: [String: Double])?
    /// Invalid files already warned about (once per run).
    private var warned = Set<String>()

    init(directory: String, policy: RetentionPolicy, async: Bool, onEvent: @escaping (Trainer.Event) -> Void,
         saveHooks: SaveHooks, retentionHooks: CheckpointRetention.Hooks) {
        self.directory = directory
        self.policy = policy
        self.onEvent = onEvent
        self.saveHooks = saveHooks
        self.retentionHooks = retentionHooks
        saver = async ? AsyncCheckpointSaver(hooks: saveHooks) : nil
    }

    func measured(_ metrics: [String: Double], at progress: RunProgress) {
        measured = (progress.globalStep, progress.epoch, metrics)
    }

    /// Saves `run`'s state to `path` (in the background when async; the previous background
    /// save is waited for first).
    func save(_ run: Run, to path: String) throws {
        let prune: (@Sendable () throws -> CheckpointRetention.Result?)?
        if policy.isActive {
            let (directory, policy, cache, hooks) = (self.directory, self.policy, self.cache, retentionHooks)
            prune = { try CheckpointRetention.prune(directory, policy: policy, cache: cache, hooks: hooks) }
        } else {
            prune = nil
        }
        // A sharded run under MPI writes one file from every rank (synchronously); otherwise
        // every rank gathers the whole state on rank 0, which writes it.
        if saver == nil, try run.saveCollectivelyIfSharded(to: path, adjust: { record(into: &$0, run) }) {
            guard run.writesCheckpoints else { return }
            onEvent(.saved(path: path))
            return report(try prune?())
        }
        var c = try run.checkpointForSaving()
        guard run.writesCheckpoints else { return }
        record(into: &c, run)
        try Self.createDirectory(of: path)
        if let saver {
            try drain()
            try saver.save(consume c, to: path, after: prune)
        } else {
            try CheckpointFile.save(c, to: path, hooks: saveHooks)
            onEvent(.saved(path: path))
            report(try prune?())
        }
    }

    /// The metrics measured on exactly this state, into the checkpoint's metadata.
    private func record(into c: inout Checkpoint, _ run: Run) {
        if let m = measured, m.step == run.progress.globalStep, m.epoch == run.progress.epoch {
            CheckpointMetrics.record(m.metrics, into: &c.metadata)
        }
    }

    /// Reports a background save that has ended; throws its error (which names the file).
    func poll() throws {
        guard let h = saver?.takeFinished() else { return }
        try finished(h)
    }

    /// Waits for the background save in flight, if any (end of training, Ctrl-C).
    func drain() throws {
        guard let saver, let h = saver.inFlight else { return }
        _ = try? saver.wait()
        try finished(h)
    }

    /// Waits for the save in flight without reporting (the run is ending on an error).
    func abandon() { _ = try? saver?.wait() }

    private func finished(_ h: AsyncCheckpointSaver.SaveHandle) throws {
        let (error, after) = h.result
        if let error {
            if error is CheckpointError || error is RunError { throw error }
            throw RunError.file(h.path, "background save failed: \(error)")
        }
        onEvent(.saved(path: h.path))
        report(after)
    }

    private func report(_ result: CheckpointRetention.Result?) {
        guard let result else { return }
        var warnings = result.failures
        for e in result.invalid where warned.insert(e.path).inserted {
            warnings.append("\(e.path) does not verify (\(e.note ?? "invalid")): kept, not counted by the retention policy")
        }
        if !result.deleted.isEmpty || !warnings.isEmpty { onEvent(.pruned(deleted: result.deleted, warnings: warnings)) }
    }

    static func createDirectory(of path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        guard !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) else { return }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw RunError.file(dir, "cannot create the directory: \(error.localizedDescription)")
        }
    }
}
