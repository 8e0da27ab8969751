import Foundation

/// A run's configuration, parsed from the JSON run config (`docs/CONFIG.md`), with the seed's
/// value for every key left out: LeNet, SGD(lr 0.001, momentum 0.9), ExponentialLR(gamma 0.9)
/// stepped per epoch, 20 epochs, batch size 4, CIFAR-10 from `./CIFAR10` (or the embedded
/// synthetic data when those files are absent), seed 0, a checkpoint after every epoch.
///
/// Parsing is strict: an unknown key, a wrong type or a bad value throws `RunConfig.Error`
/// naming the key path (`data.batch_size: expected a positive integer, found "4"`).
/// The `optimizer` and `scheduler` sections are kept as `StateDict`s in PyTorch's keyword
/// names and checked by `makeOptimizer` / `makeScheduler`, which know each class's arguments.
public struct RunConfig: Sendable, Equatable {
    public enum ModelType: String, Sendable, Equatable, CaseIterable { case lenet, mlp }
    public enum DatasetKind: String, Sendable, Equatable, CaseIterable { case cifar10, hdf5, synthetic }
    /// Which loss ReduceLROnPlateau receives after each epoch.
    public enum PlateauMetric: String, Sendable, Equatable {
        case testLoss = "test_loss", trainLoss = "train_loss"
    }

    public struct Model: Sendable, Equatable {
        public var type: ModelType = .lenet
        /// MLP layer sizes, input first (`[3072, 256, 10]`); unused by LeNet.
        public var sizes: [Int] = [3072, 256, 10]
    }

    public struct Data: Sendable, Equatable {
        public var dataset: DatasetKind = .cifar10
        /// True when `dataset` was left out: CIFAR-10 if its files are under `root`, else synthetic.
        public var datasetIsDefault = true
        public var root = "./CIFAR10"
        public var path: String?
        public var testPath: String?
        public var trainSize = RunConfig.syntheticTrainSize
        public var testSize = RunConfig.syntheticTestSize
        public var batchSize = 4
        public var shuffle = true
        public var limit: Int?
    }

    public struct Checkpointing: Sendable, Equatable {
        /// Save `epoch-<N>.h5` when N is a multiple of this (the last epoch is always saved); nil: last only.
        public var everyEpochs: Int? = 1
        /// Save `step-<global_step>.h5` every this many optimizer steps; nil: never mid-epoch.
        public var everySteps: Int?
        /// `keep_last` / `keep_best` (RunConfig+Checkpointing.swift); inactive: keep every file.
        public var retention = RetentionPolicy()
        /// `async`: write checkpoints in the background (`AsyncCheckpointSaver`).
        public var async = false
    }

    public var model = Model()
    public var data = Data()
    /// The optimizer section: `type` plus PyTorch's keyword arguments, and `param_groups`.
    public var optimizer: StateDict = RunConfig.seedOptimizer
    /// The scheduler section (`type`, PyTorch's keyword arguments, `interval`); nil: constant lr.
    public var scheduler: StateDict? = RunConfig.seedScheduler
    /// Which loss feeds ReduceLROnPlateau (`scheduler.metric`); the train loss when there is no test set.
    public var plateauMetric = PlateauMetric.testLoss
    public var epochs = 20
    public var seed: UInt64 = 0
    public var checkpoint = Checkpointing()
    /// Print the seed's running-loss line every this many mini-batches; nil: the seed's 2000,
    /// or a fifth of an epoch when an epoch is shorter than 10000 batches (see `logInterval`).
    public var logEvery: Int?
    /// What a non-finite training loss, parameter or optimizer state tensor does
    /// (`"non_finite"`; parameters are checked after every optimizer step, the optimizer state
    /// after each step whose state is saved next): stop the run (the default), or
    /// continue with a warning. PyTorch carries on silently; a checkpoint of NaNs must not
    /// look like a good one.
    public var nonFinite: NonFinitePolicy = .stop
    /// A weight average (SWA / EMA) kept beside the model (`"averaging"`); nil: none.
    public var averaging: Averaging?
    /// Several optimizers, each with its own parameters and scheduler (`"optimizers"`,
    /// RunConfig+Optimizers.swift); nil: the one `optimizer` / `scheduler` (which then mirror
    /// the first entry).
    public var optimizers: [OptimizerEntry]?
    /// Parameter name globs frozen at the start (`"freeze"`: no gradient, in no optimizer).
    public var freeze: [String] = []
    /// When frozen parameters become trainable (`"unfreeze"`), in config order.
    public var unfreeze: [Unfreeze] = []

    public enum NonFinitePolicy: String, Sendable, Equatable {
        /// Save the state marked non-finite and stop (exit status 1).
        case stop
        /// Warn once, mark every later checkpoint non-finite, and go on.
        case `continue`
    }

    /// The synthetic default's size: small enough that the seed's 20 epochs at batch size 4
    /// take a few minutes on two cores, large enough that the loss visibly falls.
    public static let syntheticTrainSize = 5000
    public static let syntheticTestSize = 1000
    public static let seedOptimizer: StateDict = ["type": "SGD", "lr": 0.001, "momentum": 0.9]
    public static let seedScheduler: StateDict = ["type": "ExponentialLR", "gamma": 0.9]

    /// The seed's configuration.
    public init() {}

    /// A config parse or validation error; `key` is the dotted path ("data.batch_size").
    public typealias Error = StateDictError

    /// Parses a run config from JSON text.
    public init(json text: String) throws {
        let value: StateValue
        do {
            value = try JSON.parse(text)
        } catch let e as JSON.ParseError {
            throw Error(key: "", message: e.description)
        }
        try self.init(value: value)
    }

    /// Reads and parses the run config at `path`; errors name the file.
    /// At most `JSON.maxFileBytes` (1 MiB), a regular file (`JSON.parse(contentsOf:)`).
    public init(contentsOf path: String) throws {
        let value: StateValue
        do {
            value = try JSON.parse(contentsOf: path)
        } catch let e as JSON.FileError {
            throw Error(key: "", message: e.message, file: path)
        } catch let e as JSON.ParseError {
            throw Error(key: "", message: e.description, file: path)
        }
        do {
            try self.init(value: value)
        } catch var e as Error {
            e.file = path
            throw e
        }
    }

    /// Parses an already-decoded JSON value (a dict).
    public init(value: StateValue) throws {
        guard let root = value.dictValue else {
            throw Error(key: "", message: "a run config is a JSON object, found \(value.shortDescription)")
        }
        let r = StateDictReader(root)
        try r.allow(["model", "data", "optimizer", "scheduler", "epochs", "seed", "checkpoint", "log_every", "non_finite", "averaging", "optimizers", "freeze", "unfreeze"])
        if let m = try r.dict("model") {
            try m.allow(["type", "sizes"])
            model.type = try m.choice("type", default: ModelType.lenet)
            if model.type == .mlp {
                if let sizes = try m.ints("sizes", in: 1...Int64(Int32.max), expected: "a positive integer") {
                    guard sizes.count >= 2 else {
                        throw m.error("sizes", "expected at least two sizes (inputs, outputs), found \(sizes.count)")
                    }
                    model.sizes = sizes
                }
            } else if m.has("sizes") {
                throw m.error("sizes", "only used with \"type\": \"mlp\"")
            }
        }
        if let d = try r.dict("data") {
            try d.allow(["dataset", "root", "path", "test_path", "train_size", "test_size", "batch_size", "shuffle", "limit"])
            if d.has("dataset") {
                data.dataset = try d.choice("dataset", default: DatasetKind.cifar10)
                data.datasetIsDefault = false
            }
            let relevant: [DatasetKind: Set<String>] = [
                .cifar10: ["root"], .hdf5: ["path", "test_path"], .synthetic: ["train_size", "test_size"],
            ]
            for key in ["root", "path", "test_path", "train_size", "test_size"]
            where d.has(key) && !relevant[data.dataset]!.contains(key) {
                let owner = relevant.first { $0.value.contains(key) }!.key
                throw d.error(key, "only used with \"dataset\": \"\(owner.rawValue)\"")
            }
            data.root = try d.string("root") ?? data.root
            data.path = try d.string("path")
            data.testPath = try d.string("test_path", nullable: true)
            if data.dataset == .hdf5, data.path == nil {
                throw d.error("path", "required with \"dataset\": \"hdf5\" (an HDF5 file with /images and /labels)")
            }
            data.trainSize = try d.positiveInt("train_size") ?? data.trainSize
            data.testSize = try d.nonNegativeInt("test_size") ?? data.testSize
            data.batchSize = try d.positiveInt("batch_size") ?? data.batchSize
            data.shuffle = try d.bool("shuffle") ?? data.shuffle
            data.limit = try d.positiveInt("limit", nullable: true)
        }
        if r.has("optimizer") {
            guard let o = try r.dict("optimizer") else {
                throw r.error("optimizer", "expected an object such as {\"type\": \"SGD\", \"lr\": 0.001}, found null")
            }
            optimizer = try Self.optimizerSection(o)
        }
        if r.has("scheduler") {
            if let s = try r.dict("scheduler") {
                let (section, metric) = try Self.schedulerSection(s)
                if let metric { plateauMetric = metric }
                scheduler = section
            } else {
                scheduler = nil
            }
        }
        try parseOptimizerRecipes(r)
        epochs = try r.positiveInt("epochs") ?? epochs
        if r.has("seed") {
            guard case .int(let s) = r.dict["seed"]!, s >= 0 else {
                throw r.error("seed", "expected a non-negative integer, found \(r.dict["seed"]!.shortDescription)")
            }
            seed = UInt64(s)
        }
        if let c = try r.dict("checkpoint") {
            try c.allow(["every_epochs", "every_steps", "keep_last", "keep_best", "async"])
            if c.has("every_epochs") { checkpoint.everyEpochs = try c.positiveInt("every_epochs", nullable: true) }
            checkpoint.everySteps = try c.positiveInt("every_steps", nullable: true)
            try checkpoint.parseManagement(c)
        }
        logEvery = try r.positiveInt("log_every", nullable: true)
        if let text = try r.string("non_finite") {
            guard let policy = NonFinitePolicy(rawValue: text) else {
                throw r.error("non_finite", "expected \"stop\" or \"continue\", found \"\(text)\"")
            }
            nonFinite = policy
        }
        if let a = try r.dict("averaging") { averaging = try Averaging(a) }
        try checkBounds()
    }

    /// The scheduler's `interval`: `"step"` steps it after every optimizer step, `"epoch"` (the
    /// seed's) once after each epoch.
    public var schedulerStepsPerBatch: Bool { scheduler?["interval"]?.stringValue == "step" }

    /// The full config with every default filled in, as saved in each checkpoint's `config`
    /// attribute; parsing it back gives an equal `RunConfig`.
    public var json: StateDict {
        var modelSection: StateDict = ["type": .string(model.type.rawValue)]
        if model.type == .mlp { modelSection["sizes"] = .list(model.sizes.map { .int(Int64($0)) }) }
        var d: StateDict = [:]
        if !data.datasetIsDefault || data.dataset != .cifar10 { d["dataset"] = .string(data.dataset.rawValue) }
        switch data.dataset {
        case .cifar10: d["root"] = .string(data.root)
        case .hdf5:
            d["path"] = data.path.map { .string($0) } ?? StateValue.none
            d["test_path"] = data.testPath.map { .string($0) } ?? StateValue.none
        case .synthetic:
            d["train_size"] = .int(Int64(data.trainSize))
            d["test_size"] = .int(Int64(data.testSize))
        }
        d["batch_size"] = .int(Int64(data.batchSize))
        d["shuffle"] = .bool(data.shuffle)
        d["limit"] = data.limit.map { .int(Int64($0)) } ?? StateValue.none
        var sched: StateValue = .none
        if var s = scheduler {
            if s["type"]?.stringValue == "ReduceLROnPlateau" { s["metric"] = .string(plateauMetric.rawValue) }
            sched = .dict(s)
        }
        let checkpointSection = checkpoint.managementJSON([
            "every_epochs": checkpoint.everyEpochs.map { .int(Int64($0)) } ?? .none,
            "every_steps": checkpoint.everySteps.map { .int(Int64($0)) } ?? .none,
        ])
        var out: StateDict = [
            "model": .dict(modelSection),
            "data": .dict(d),
            "optimizer": .dict(optimizer),
            "scheduler": sched,
            "epochs": .int(Int64(epochs)),
            "seed": .int(Int64(bitPattern: seed)),
            "checkpoint": .dict(checkpointSection),
            "log_every": logEvery.map { .int(Int64($0)) } ?? .none,
        ]
        if nonFinite != .stop { out["non_finite"] = .string(nonFinite.rawValue) }
        if let averaging { out["averaging"] = .dict(averaging.json) }
        addOptimizerRecipes(to: &out)
        return out
    }

    /// The running-loss interval for epochs of `batchesPerEpoch` batches: `log_every`, or by
    /// default the seed's 2000 (CIFAR-10 at batch size 4 has 12500 batches per epoch), reduced
    /// to a fifth of an epoch for shorter epochs so every epoch prints a few lines.
    public func logInterval(batchesPerEpoch: Int) -> Int {
        logEvery ?? min(2000, max(1, batchesPerEpoch / 5))
    }

    /// `json` as indented JSON text.
    public var jsonText: String { JSON.string(.dict(json), pretty: true) }

    static func prepending(_ key: String, _ value: StateValue, to dict: StateDict) -> StateDict {
        var out: StateDict = [key: value]
        for (k, v) in dict { out[k] = v }
        return out
    }
}
