import Foundation

extension Run {
    /// Everything a resume needs, as one `Checkpoint`: model, optimizer, scheduler, progress
    /// (epoch, global step, batch in epoch, lr and loss history), random state (seed and
    /// generator state) and the full config in the root `config` attribute.
    public func checkpoint() -> Checkpoint {
        var metadata: StateDict = ["created_by": .string("ckpt \(ckptVersion)")]
        // Only a config-built run can be rebuilt from its config (`ckpt resume`).
        if builtFromConfig {
            let text = configText ?? JSON.string(.dict(config.json))
            configText = text
            metadata["config"] = .string(text)
        }
        metadata[Self.runIDKey] = .string(runID)
        // What made this state non-finite; `resume DIR` skips such checkpoints unless asked.
        if let nonFinite { metadata[Self.nonFiniteKey] = .string(nonFinite) }
        var rng: StateDict = ["seed": .int(Int64(bitPattern: config.seed))]
        rng["generator"] = .dict(Self.shuffleGenerator(seed: config.seed, epoch: progress.epoch).stateDict())
        return Checkpoint(
            metadata: metadata,
            model: model.stateDict(),
            optimizer: optimizer.stateDict(),
            scheduler: scheduler?.stateDict(),
            progress: progress.stateDict(groups: allParamGroups.count),
            rng: rng,
            averagedModel: averaging?.model.stateDict(),
            swaScheduler: averaging?.swaScheduler?.stateDict(),
            optimizers: extraOptimizersSection)
    }

    /// Saves the run to `path` atomically (a temporary file beside it, fsync, rename): a crash
    /// at any moment leaves the old file or the new complete one. In a data-parallel run every
    /// rank calls it (the state is gathered) and rank 0 writes the file.
    public func save(to path: String) throws {
        if try saveCollectivelyIfSharded(to: path) { return }
        let c = try checkpointForSaving()
        guard writesCheckpoints else { return }
        try TrainerCheckpoints.createDirectory(of: path)
        try CheckpointFile.save(c, to: path)
    }

    /// The generator whose permutation orders `epoch`'s samples.
    static func shuffleGenerator(seed: UInt64, epoch: Int) -> RandomGenerator {
        RandomGenerator(seed: seed, stream: .shuffle, index: UInt64(epoch))
    }

    /// Rebuilds a run from the checkpoint at `path` using only what the file holds: parses its
    /// config, builds model, optimizer and scheduler fresh, then restores in PyTorch's documented
    /// order (build the optimizer, build the scheduler, load the optimizer state, load the
    /// scheduler state), so the scheduler's constructor step cannot change a restored lr.
    /// Names, shapes and group sizes are checked; a mismatch names the section and both sides.
    /// `epochs` replaces the config's total epoch count (`ckpt resume --epochs`).
    public static func restore(from path: String, epochs: Int? = nil) throws -> Run {
        let file = try CheckpointFile.load(path)
        return try restore(from: file, path: path, epochs: epochs)
    }

    /// `Run.restore(from:)` for a checkpoint already in memory; `path` names it in errors.
    public static func restore(from file: Checkpoint, path: String, epochs: Int? = nil) throws -> Run {
        guard let text = file.config else {
            throw RunError.file(path, "no run config in the root `config` attribute: not written by `ckpt train` (use `ckpt train --init-from` to start from its weights)")
        }
        var config: RunConfig
        do {
            config = try RunConfig(json: text)
        } catch let e as RunConfig.Error {
            throw RunError.file(path, "the saved config is invalid: \(e)")
        }
        if let epochs { config.epochs = epochs }
        let run: Run
        do {
            run = try Run(config: config)  // builds the optimizer, then the scheduler
            try run.load(file)
            run.nonFinite = file.metadata[Run.nonFiniteKey]?.stringValue
            if let id = file.metadata[Run.runIDKey]?.stringValue { run.runID = id }
        } catch let e as RunError {
            if case .file = e { throw e }
            throw RunError.file(path, e.description)
        } catch let e as CheckpointError {
            throw e
        } catch {
            throw RunError.file(path, String(describing: error))
        }
        return run
    }

    /// Loads the checkpoint at `path` into this run, whose model, optimizer and scheduler the
    /// caller built as the saved run built them (PyTorch's `model.load_state_dict`,
    /// `optimizer.load_state_dict`, `scheduler.load_state_dict`, in that order). Names, shapes
    /// and group sizes are checked; a mismatch names the section and both sides, and the
    /// file's config (if any) is not used.
    public func restore(from path: String) throws {
        let file = try CheckpointFile.load(path)
        do {
            try load(file)
        } catch let e as RunError {
            if case .file = e { throw e }
            throw RunError.file(path, e.description)
        }
    }

    private func load(_ file: Checkpoint) throws {
        /// Errors of one section, prefixed with its path in the file.
        func section<T>(_ name: String, _ body: () throws -> T) throws -> T {
            do { return try body() } catch let e as RunError {
                throw e
            } catch {
                throw RunError.mismatch("\(name): \(error)")
            }
        }
        _ = try section("/model") { try model.loadStateDict(file.model, strict: true) }
        guard let opt = file.optimizer else { throw RunError.mismatch("/optimizer: missing") }
        // Groups `unfreeze` had added by the saved epoch exist before their state loads.
        if !config.unfreeze.isEmpty, let epoch = file.progress?["epoch"]?.intValue {
            try unfreeze(at: Int(epoch), through: true)
        }
        try section("/optimizer") { try optimizer.loadStateDict(opt) }
        switch (scheduler, file.scheduler) {
        case (nil, nil): break
        case (let s?, let saved?): try section("/scheduler") { try s.loadStateDict(saved) }
        case (let s?, nil): throw RunError.mismatch("/scheduler: missing, but the config builds \(s.typeName)")
        case (nil, let saved?):
            throw RunError.mismatch("/scheduler: holds \(saved["type"]?.stringValue ?? "a scheduler"), but the config has \"scheduler\": null")
        }
        try loadExtraOptimizers(file)
        try loadAveraging(file)
        guard let p = file.progress else { throw RunError.mismatch("/progress: missing") }
        progress = try RunProgress(stateDict: p, groups: allParamGroups.count)
        guard progress.batch <= batchesPerEpoch else {
            throw RunError.mismatch("progress.batch: \(progress.batch) batches done, but an epoch has \(batchesPerEpoch)")
        }
        if let rng = file.rng {
            if let seed = rng["seed"]?.intValue, UInt64(bitPattern: seed) != config.seed {
                throw RunError.mismatch("rng.seed: \(seed) in /rng, \(config.seed) in the config")
            }
            // The data order is a pure function of (seed, epoch); the saved generator is the one
            // that orders the current epoch, so it must be the one (seed, epoch) gives.
            if let g = rng["generator"]?.dictValue {
                let saved = try RandomGenerator(stateDict: g)
                guard saved == Self.shuffleGenerator(seed: config.seed, epoch: progress.epoch) else {
                    throw RunError.mismatch("rng.generator: not the shuffle generator of seed \(config.seed), epoch \(progress.epoch)")
                }
            }
        }
    }

    /// Loads model weights (`--init-from`) from a checkpoint or any HDF5 file whose `/model`
    /// group holds one dataset per parameter (as h5py writes them), strictly.
    public func loadModelWeights(from path: String) throws {
        let weights = try ModelWeights.load(path)
        do {
            try model.loadStateDict(weights, strict: true)
        } catch {
            throw RunError.file(path, "/model: \(error)")
        }
    }
}
