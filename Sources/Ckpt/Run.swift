/// A training run: the model, its optimizer and lr scheduler, the data, how far training has
/// come and the random state, all built from one `RunConfig`.
///
/// The pieces follow PyTorch's training loop one to one (`optimizer.zeroGrad()`,
/// `model.forwardBackward(batch)` for forward + loss + backward, `optimizer.step()`,
/// `scheduler.step()`), so a custom loop reads like the seed's. `save(to:)` writes all of it
/// to one checkpoint and `restore(from:)` loads it back, so the next step after a restore
/// computes exactly what it would have computed without the interruption:
/// - the data order of epoch `e` is a pure function of (`seed`, `e`), and `remainingBatches()`
///   skips the batches an interrupted epoch already did;
/// - the lr each step uses is the optimizer's saved group lr, continued by the scheduler's
///   chainable step (never recomputed from a closed form).
///
/// A run is built either from a `RunConfig` (its `lenet` or `mlp`, optimizer and scheduler
/// sections; the checkpoint then holds the config, and `Run.restore(from:)` or `ckpt resume`
/// rebuild everything from the file alone) or from a model, optimizer and scheduler the caller
/// built (`init(model:optimizer:scheduler:train:test:config:)`; the caller rebuilds them the
/// same way, then loads the file into them with `run.restore(from:)`, as in PyTorch).
public final class Run {
    /// The config with every default filled in and the dataset resolved (the CIFAR-10 →
    /// synthetic fallback already applied), as saved in every checkpoint.
    public internal(set) var config: RunConfig { didSet { configText = nil } }
    /// `config` as the JSON text every checkpoint's root attribute holds, made once (a save's
    /// stall should not include serialising a config that has not changed).
    var configText: String?
    public let model: RunModel
    public let optimizer: Optimizer
    /// nil: constant lr (`"scheduler": null`).
    public let scheduler: RunScheduler?
    /// Every optimizer of the run, `optimizer` first (`"optimizers"` in the config gives more).
    public internal(set) var optimizers: [Optimizer]
    /// Each optimizer's scheduler (nil: constant lr), `scheduler` first.
    public internal(set) var schedulers: [RunScheduler?]
    /// Parameters frozen now (`"freeze"`, until their `"unfreeze"` epoch): no gradient, in no optimizer.
    public internal(set) var frozen: [Parameter] = []
    /// The weight average (`"averaging"`, SWA / EMA); nil: none. See `RunAveraging`.
    public internal(set) var averaging: RunAveraging?
    /// The ranks this run trains on (`distribute(over:)`); nil: this process alone.
    public internal(set) var ranks: RankGroup?
    /// Which rank keeps each parameter's optimizer state (ZeRO stage 1); nil: every rank keeps all.
    public internal(set) var shardPlan: ShardPlan?
    public let trainData: Dataset
    /// nil when the dataset has no test split (`test_size: 0`, an HDF5 file without `test_path`).
    public let testData: Dataset?
    public var progress = RunProgress()
    /// Set by the trainer at the first non-finite training loss (what and where); saved in the
    /// root attribute `non_finite` of every later checkpoint of this run.
    public var nonFinite: String?
    /// This run's id: random for a fresh run, kept from the checkpoint by `restore`. Saved in
    /// the root attribute `run_id`; `RunDirectoryClaim` uses it to keep runs apart.
    public var runID: String = Run.newRunID()
    public static let runIDKey = "run_id"

    static func newRunID() -> String {
        let v = UInt64.random(in: 0...UInt64.max)
        let hex = String(v, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The root attribute that marks a checkpoint whose state is non-finite.
    public static let nonFiniteKey = "non_finite"
    /// True when the model, optimizer and scheduler came from `config` (so a checkpoint can
    /// rebuild them); false for a run of the caller's own network.
    public let builtFromConfig: Bool

    /// Builds a fresh run from `config`: loads the data, initialises the model from the seed,
    /// builds the optimizer, then the scheduler (which takes its initial step, as PyTorch's does).
    public convenience init(config: RunConfig) throws {
        try config.checkBounds()
        var resolved = config
        let (train, test) = try RunData.loadData(&resolved)
        try Self.checkSamples(train: train, test: test)
        let model = try RunModel(config: resolved, sampleShape: train.sampleShape)
        try Self.checkLabels(train: train, test: test, classes: resolved.model.type == .lenet ? 10 : resolved.model.sizes.last!)
        // Each optimizer, then its scheduler (which takes its initial step, as PyTorch's does).
        let built = try Self.buildOptimizers(resolved, parameters: model.parameters)
        let optimizer = built.optimizers[0]
        self.init(config: resolved, model: model, optimizer: optimizer, scheduler: built.schedulers[0],
                  train: train, test: test, builtFromConfig: true)
        optimizers = built.optimizers
        schedulers = built.schedulers
        frozen = built.frozen
        // After the scheduler, as PyTorch's recipe builds SWALR.
        averaging = try resolved.averaging.map {
            try RunAveraging(config: $0, parameters: model.parameters, optimizer: optimizer)
        }
    }

    /// A run of the caller's own network: `model` (its layers keep PyTorch's names), an
    /// optimizer over its parameters and an optional scheduler, trained on `train`. `config`
    /// supplies only the loop's settings (batch size, shuffle, limit, seed, epochs, checkpoint
    /// interval); its model, optimizer and scheduler sections are not used. Checkpoints of such a
    /// run hold no config: load them into a run built the same way with `restore(from:)`.
    public convenience init(model: Sequential, optimizer: Optimizer, scheduler: RunScheduler? = nil,
                            train: Dataset, test: Dataset? = nil, config: RunConfig = RunConfig()) throws {
        try Self.checkSamples(train: train, test: test)
        let outputs = try model.outputShape(for: [1] + train.sampleShape).last ?? 0
        try Self.checkLabels(train: train, test: test, classes: outputs)
        self.init(config: config, model: RunModel(model), optimizer: optimizer, scheduler: scheduler,
                  train: train, test: test, builtFromConfig: false)
    }

    private init(config: RunConfig, model: RunModel, optimizer: Optimizer, scheduler: RunScheduler?,
                 train: Dataset, test: Dataset?, builtFromConfig: Bool) {
        self.config = config
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        optimizers = [optimizer]
        schedulers = [scheduler]
        trainData = train
        testData = test
        self.builtFromConfig = builtFromConfig
    }

    private static func checkSamples(train: Dataset, test: Dataset?) throws {
        if let test, test.sampleShape != train.sampleShape {
            throw RunError.config("data: test samples are \(test.sampleShape), training samples \(train.sampleShape)")
        }
    }

    /// Labels are checked before training starts, not when a bad one's batch comes up.
    private static func checkLabels(train: Dataset, test: Dataset?, classes: Int) throws {
        for (name, data) in [("training", train), ("test", test)] {
            guard let data, let bad = data.labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) else { continue }
            throw RunError.config("data: \(name) sample \(bad) has label \(data.labels[bad]), but the model has \(classes) outputs (classes 0..<\(classes))")
        }
    }

    /// Training samples per epoch (`data.limit` applied).
    public var samplesPerEpoch: Int { min(trainData.count, config.data.limit ?? trainData.count) }

    /// Mini-batches per epoch (the last one may be short, as with PyTorch's DataLoader).
    public var batchesPerEpoch: Int { (samplesPerEpoch + config.data.batchSize - 1) / config.data.batchSize }

    /// The batches of the current epoch that are not done yet, in the epoch's order: a pure
    /// function of (seed, epoch), minus the `progress.batch` batches already done.
    public func remainingBatches() -> Batches {
        Batches(trainData, batchSize: config.data.batchSize, shuffle: config.data.shuffle, seed: config.seed,
                epoch: progress.epoch, limit: config.data.limit, startBatch: progress.batch)
    }

    /// Records one optimizer step: the lr each group used and the loss. Call it once per
    /// `optimizer.step()` (before or after: the optimizer step does not change the lr).
    public func recordStep(loss: Float) {
        progress.appendLR(allParamGroups.map(\.lr))
        progress.lossHistory.append(loss)
        progress.globalStep += 1
        progress.batch += 1
    }

    /// One step of the seed's loop: zero grads, forward, loss, backward, optimizer step,
    /// record; then the scheduler's step when its interval is `"step"`. Returns the loss.
    /// LBFGS steps through a closure that does the first part on the same batch each time it
    /// re-evaluates, as PyTorch's recipe; the loss recorded is its first evaluation.
    @discardableResult
    public func trainStep(_ batch: Batch) throws -> Float {
        let loss: Float
        if let lbfgs = optimizer as? LBFGS {
            var first: Float?
            try lbfgs.step {
                optimizer.zeroGrad()
                let l = try model.forwardBackward(batch)
                dropFrozenGradients()
                if first == nil { first = l }
                return Double(l)
            }
            loss = first ?? .nan
        } else {
            for o in optimizers { o.zeroGrad() }
            loss = try model.forwardBackward(batch)
            dropFrozenGradients()
            releaseUnownedGradients()
            for o in optimizers { try o.step() }
            try shareUpdatedParameters()
        }
        recordStep(loss: loss)
        try averaging?.afterStep(model.parameters)
        let swaOwns = averaging?.swaOwnsEpochEnd(progress.epoch) ?? false
        for (i, s) in schedulers.enumerated() {
            guard let s, s.stepsPerBatch, !(i == 0 && swaOwns) else { continue }
            try s.step(metric: Double(loss))
        }
        return loss
    }

    /// Test-set loss and accuracy, nil without a test set.
    public func evaluate() throws -> (loss: Double, accuracy: Double)? {
        guard let testData, testData.count > 0 else { return nil }
        return try model.evaluate(testData, batchSize: max(config.data.batchSize, 256))
    }

    /// Test-set loss and accuracy of the weight average (the averaged weights swapped into
    /// the model for the evaluation, then put back); nil without a test set, an average, or
    /// before the first update (`n_averaged == 0`).
    public func evaluateAveraged() throws -> (loss: Double, accuracy: Double)? {
        guard let averaging, averaging.model.nAveraged > 0 else { return nil }
        let params = model.parameters
        let raw = params.map(\.value)
        for (p, v) in zip(params, averaging.model.values) { p.value = v }
        defer { for (p, v) in zip(params, raw) { p.value = v } }
        return try evaluate()
    }

    /// The mean loss of the current epoch's steps so far (in double, as Python sums `loss.item()`).
    public var epochTrainLoss: Double {
        let losses = progress.lossHistory[progress.epochStartStep...]
        return losses.isEmpty ? .nan : losses.reduce(0.0) { $0 + Double($1) } / Double(losses.count)
    }

    /// Ends the epoch: the schedulers' per-epoch steps (ReduceLROnPlateau receives `metric`),
    /// then `epoch += 1`, then the `"unfreeze"` entries of the new epoch. After it, the run holds exactly the state the next epoch starts from.
    public func endEpoch(metric: Double? = nil) throws {
        let swaOwns = averaging?.swaOwnsEpochEnd(progress.epoch) ?? false
        if let averaging, swaOwns { try averaging.swaEpochEnd(model.parameters) }
        for (i, s) in schedulers.enumerated() {
            guard let s, !s.stepsPerBatch, !(i == 0 && swaOwns) else { continue }
            try s.step(metric: metric ?? epochTrainLoss)
        }
        progress.epoch += 1
        progress.batch = 0
        // The fine-tuning recipe: frozen layers join their optimizer at the epoch's start.
        try unfreeze(at: progress.epoch)
    }
}
