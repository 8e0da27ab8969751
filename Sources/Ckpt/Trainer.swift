import Foundation

/// The seed's training loop over a `Run`, with checkpoints:
/// ```
/// for epoch in epochs:
///     for batch in epoch's batches (skipping those a resumed epoch already did):
///         zeroGrad, forward, loss, backward, optimizer.step, record lr per group and loss
///         scheduler.step() when interval == "step"
///         every `log_every` batches: the seed's "[epoch, batch] loss: x.xxx" line
///         every `checkpoint.every_steps` steps: DIR/step-<global_step>.h5
///     test loss and accuracy
///     scheduler.step() when interval == "epoch" (ReduceLROnPlateau: the test loss, or the
///         epoch's mean train loss when there is no test set or `scheduler.metric` is "train_loss")
///     DIR/epoch-<N>.h5 (N = completed epochs), so the file holds exactly the state epoch N+1 starts from
/// ```
/// `shouldStop` is polled at every batch boundary (Ctrl-C): the trainer then saves the current
/// state as `DIR/step-<global_step>.h5`, which resumes exactly, and returns `.interrupted`.
public struct Trainer {
    /// What the loop reports, for progress display.
    public enum Event {
        /// Before the first batch; `resumed` when the run came from a checkpoint.
        case started(epochs: Int, batchesPerEpoch: Int, batchSize: Int, resumed: Bool)
        /// After each optimizer step. `batch` counts from 1 within the epoch (0-based `epoch`).
        case step(epoch: Int, batch: Int, loss: Float, lr: [Double], samples: Int)
        /// The seed's running-loss line: mean loss of the last `logEvery` batches.
        case runningLoss(epoch: Int, batch: Int, loss: Double)
        /// After the epoch's scheduler step. `epoch` counts from 1.
        case epochEnd(epoch: Int, trainLoss: Double, testLoss: Double?, testAccuracy: Double?, lr: [Double])
        /// After `epochEnd` when the run keeps a weight average with at least one update: the
        /// averaged model's test loss and accuracy (`"averaging"`).
        case averagedEvaluation(epoch: Int, testLoss: Double, testAccuracy: Double)
        /// A checkpoint is durable at `path` (with async saves: when the trainer learns it is).
        case saved(path: String)
        /// The retention policy deleted `deleted`; `warnings`: deletions that failed, files
        /// that do not verify (each once).
        case pruned(deleted: [String], warnings: [String])
        /// The first non-finite training loss, parameter or optimizer state tensor (`message`
        /// says which, where); with `"non_finite": "continue"` training goes on.
        case nonFinite(message: String)
    }

    public enum Outcome: Equatable {
        case completed
        /// Stopped at a batch boundary; the state is saved at `path`.
        case interrupted(path: String)
        /// Stopped at the first non-finite loss or tensor (`"non_finite": "stop"`, the
        /// default); the state is saved at `path`, marked non-finite.
        case nonFinite(path: String, message: String)
    }

    /// Where checkpoints go.
    public var directory: String
    public var onEvent: (Event) -> Void
    public var shouldStop: () -> Bool
    /// Write checkpoints in the background (`AsyncCheckpointSaver`); nil: the config's
    /// `checkpoint.async`. The files are the same bits either way.
    public var asyncSave: Bool?
    /// Test seams: the saves' steps, and each deletion of the retention policy.
    public var saveHooks: SaveHooks = .none
    public var retentionHooks: CheckpointRetention.Hooks = .none

    public init(directory: String, onEvent: @escaping (Event) -> Void = { _ in }, shouldStop: @escaping () -> Bool = { false }) {
        self.directory = directory
        self.onEvent = onEvent
        self.shouldStop = shouldStop
    }

    public func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Trains `run` until `run.config.epochs` epochs are complete.
    public func train(_ run: Run, resumed: Bool = false) throws -> Outcome {
        let config = run.config
        let perEpoch = run.batchesPerEpoch
        // Temporaries of saves killed mid-write (kill -9) in this directory: their writers are gone.
        if run.writesCheckpoints { CheckpointFile.removeStaleTemporaries(in: directory) }
        let logEvery = config.logInterval(batchesPerEpoch: perEpoch)
        onEvent(.started(epochs: config.epochs, batchesPerEpoch: perEpoch, batchSize: config.data.batchSize, resumed: resumed))
        var lastSaved: (step: Int, epoch: Int, path: String)?
        let writer = TrainerCheckpoints(directory: directory, policy: config.checkpoint.retention,
                                        async: asyncSave ?? config.checkpoint.async, onEvent: onEvent,
                                        saveHooks: saveHooks, retentionHooks: retentionHooks)
        // A run ending on an error still lets the write in flight finish.
        defer { writer.abandon() }
        func save(_ name: String) throws -> String {
            let p = path(name)
            try writer.save(run, to: p)
            lastSaved = (run.progress.globalStep, run.progress.epoch, p)
            return p
        }
        func stop() throws -> Outcome {
            if let s = lastSaved, s.step == run.progress.globalStep, s.epoch == run.progress.epoch {
                try writer.drain()
                return .interrupted(path: s.path)
            }
            let p = try save("step-\(run.progress.globalStep).h5")
            try writer.drain()
            return .interrupted(path: p)
        }
        while run.progress.epoch < config.epochs {
            let epoch = run.progress.epoch
            let isLastEpoch = epoch + 1 == config.epochs
            let epochFileFollows = isLastEpoch || config.checkpoint.everyEpochs.map { (epoch + 1) % $0 == 0 } ?? false
            // The running loss resumes from the batches of this print window already done.
            let windowStart = run.progress.epochStartStep + (run.progress.batch / logEvery) * logEvery
            var running = run.progress.lossHistory[windowStart...].reduce(0.0) { $0 + Double($1) }
            for batch in run.remainingBatches() {
                try writer.poll()
                if shouldStop() { return try stop() }
                let loss = try run.trainStep(batch)
                running += Double(loss)
                let done = run.progress.batch
                let stepFileFollows = config.checkpoint.everySteps.map { run.progress.globalStep % $0 == 0 } ?? false
                let saveFollows = stepFileFollows || (done == perEpoch && epochFileFollows)
                // Only the optimizer state (checked before a save) can differ between ranks.
                let found = Self.nonFiniteAfterStep(run, loss: loss, epoch: epoch, batch: done, saveFollows: saveFollows)
                if run.nonFinite == nil, let message = saveFollows ? try run.agreed(found) : found {
                    run.nonFinite = message
                    onEvent(.nonFinite(message: message))
                    if config.nonFinite == .stop {
                        let p = try save("step-\(run.progress.globalStep).h5")
                        try writer.drain()
                        return .nonFinite(path: p, message: message)
                    }
                }
                onEvent(.step(epoch: epoch, batch: done, loss: loss, lr: run.progress.lastLR!, samples: batch.labels.count))
                if done % logEvery == 0 {
                    onEvent(.runningLoss(epoch: epoch + 1, batch: done, loss: running / Double(logEvery)))
                    running = 0
                }
                if stepFileFollows, !(done == perEpoch && epochFileFollows) {
                    _ = try save("step-\(run.progress.globalStep).h5")
                }
            }
            if shouldStop() { return try stop() }
            let trainLoss = run.epochTrainLoss
            let test = try run.evaluate()
            let metric = config.plateauMetric == .testLoss ? test?.loss ?? trainLoss : trainLoss
            try run.endEpoch(metric: metric)
            var measured = ["train_loss": trainLoss]
            if let test { (measured["test_loss"], measured["test_accuracy"]) = (test.loss, test.accuracy) }
            writer.measured(measured, at: run.progress)
            onEvent(.epochEnd(epoch: run.progress.epoch, trainLoss: trainLoss, testLoss: test?.loss,
                              testAccuracy: test?.accuracy, lr: run.allParamGroups.map(\.lr)))
            if let avg = try run.evaluateAveraged() {
                onEvent(.averagedEvaluation(epoch: run.progress.epoch, testLoss: avg.loss, testAccuracy: avg.accuracy))
            }
            if epochFileFollows { _ = try save("epoch-\(run.progress.epoch).h5") }
        }
        try writer.drain()
        return .completed
    }
}
