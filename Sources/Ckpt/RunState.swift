import Foundation

extension Run {
    /// Everything a resume needs, as one `Checkpoint`: model, optimizer, scheduler, progress
    /// (epoch, global step, batch in epoch, lr and loss history), random state (seed and
    /// generator state) and the full config in the root `config` attribute.
    public func checkpoint() -> Checkpoint {
        var metadata: StateDict = [:]
        metadata["config"] = .string(JSON.string(.dict(config.json)))
        var rng: StateDict = ["seed": .int(Int64(bitPattern: config.seed))]
        rng["generator"] = .dict(Backends.generatorState(generator))
        return Checkpoint(
            metadata: metadata,
            model: model.stateDict(),
            optimizer: Backends.optimizerState(optimizer),
            scheduler: scheduler?.stateDict(),
            progress: progress.stateDict(groups: optimizer.paramGroups.count),
            rng: rng)
    }

    /// Saves the run to `path` atomically (a temporary file beside it, fsync, rename): a crash
    /// at any moment leaves the old file or the new complete one.
    public func saveRun(to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw RunError.file(dir, "cannot create the directory: \(error.localizedDescription)")
            }
        }
        try Backends.save(checkpoint(), to: path)
    }

    /// Rebuilds a run from the checkpoint at `path` using only what the file holds: parses its
    /// config, builds model, optimizer and scheduler fresh, then restores in PyTorch's documented
    /// order (build the optimizer, build the scheduler, load the optimizer state, load the
    /// scheduler state), so the scheduler's constructor step cannot change a restored lr.
    /// Names, shapes and group sizes are checked; a mismatch names the section and both sides.
    /// `epochs` replaces the config's total epoch count (`ckpt resume --epochs`).
    public static func restoreRun(from path: String, epochs: Int? = nil) throws -> Run {
        let file = try Backends.load(path)
        return try restoreRun(from: file, path: path, epochs: epochs)
    }

    /// `restoreRun(from:)` for a checkpoint already in memory; `path` names it in errors.
    public static func restoreRun(from file: Checkpoint, path: String, epochs: Int? = nil) throws -> Run {
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
            try run.restore(file)
        } catch let e as RunError {
            if case .file = e { throw e }
            throw RunError.file(path, e.description)
        }
        return run
    }

    private func restore(_ file: Checkpoint) throws {
        try model.loadStateDict(file.model, strict: true)
        guard let opt = file.optimizer else { throw RunError.mismatch("/optimizer: missing") }
        try Backends.loadOptimizerState(optimizer, opt)
        switch (scheduler, file.scheduler) {
        case (nil, nil): break
        case (let s?, let saved?): try s.loadStateDict(saved)
        case (let s?, nil): throw RunError.mismatch("/scheduler: missing, but the config builds \(s.typeName)")
        case (nil, let saved?):
            throw RunError.mismatch("/scheduler: holds \(saved["type"]?.stringValue ?? "a scheduler"), but the config has \"scheduler\": null")
        }
        guard let p = file.progress else { throw RunError.mismatch("/progress: missing") }
        progress = try RunProgress(stateDict: p, groups: optimizer.paramGroups.count)
        guard progress.batch <= batchesPerEpoch else {
            throw RunError.mismatch("progress.batch: \(progress.batch) batches done, but an epoch has \(batchesPerEpoch)")
        }
        if let rng = file.rng {
            if let seed = rng["seed"]?.intValue, UInt64(bitPattern: seed) != config.seed {
                throw RunError.mismatch("rng.seed: \(seed) in /rng, \(config.seed) in the config")
            }
            guard let g = rng["generator"]?.dictValue else { throw RunError.mismatch("rng.generator: missing") }
            generator = try Backends.restoreGenerator(g)
        }
    }

    /// Loads model weights (`--init-from`) from a checkpoint or any HDF5 file whose `/model`
    /// group holds one dataset per parameter (as h5py writes them), strictly.
    public func loadModelWeights(from path: String) throws {
        let weights = try Backends.loadModelWeights(path)
        do {
            try model.loadStateDict(weights, strict: true)
        } catch let e as RunError {
            throw RunError.file(path, e.description)
        }
    }
}

extension Run {
    /// Loads any checkpoint file, checksums verified (the reference of `ckpt resume --verify`).
    public static func loadCheckpoint(_ path: String) throws -> Checkpoint { try Backends.load(path) }
}
