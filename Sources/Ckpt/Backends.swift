import Foundation

// The one place that binds the run API to the training core, the optimizers, the schedulers
// and the checkpoint format.

/// Errors of the run API; each names the file or the section and what to do.
public enum RunError: Error, CustomStringConvertible, Equatable {
    /// `path`: what is wrong with the file.
    case file(String, String)
    /// A saved section does not fit what the config builds (names, shapes, group sizes).
    case mismatch(String)
    /// A config value that cannot be used (missing data, sizes that do not fit).
    case config(String)

    public var description: String {
        switch self {
        case .file(let path, let message): "\(path): \(message)"
        case .mismatch(let message): message
        case .config(let message): message
        }
    }
}

/// The model of a run (LeNet or MLP, a `Sequential`), as the training loop sees it.
public final class RunModel {
    /// The network: `module(images)` gives logits; its layers keep PyTorch's names.
    public let module: Sequential

    init(_ module: Sequential) { self.module = module }

    /// Parameters in `model.parameters()` order; the optimizer's groups share them.
    public var parameters: [Parameter] { module.parameters() }

    /// Forward, mean cross-entropy loss, backward: ADDS each parameter's gradient (as
    /// `loss.backward()` does; call `optimizer.zeroGrad()` first) and returns `loss.item()`.
    public func forwardBackward(_ batch: Batch) throws -> Float {
        try module.forwardBackward(images: batch.images, labels: batch.labels)
    }

    /// `model.state_dict()`: name → float32 tensor, in parameter order.
    public func stateDict() -> StateDict { module.stateDict() }

    /// `model.load_state_dict(sd, strict:)`; a shape mismatch names the key and both shapes.
    @discardableResult
    public func loadStateDict(_ sd: StateDict, strict: Bool = true) throws -> (missing: [String], unexpected: [String]) {
        try module.loadStateDict(sd, strict: strict)
    }

    /// Mean cross-entropy loss and accuracy (fraction correct) over `data`, in dataset order
    /// and batches of `batchSize` (the seed's test loop, under `torch.no_grad()`): changes no
    /// parameter and no gradient. The loss is the mean over samples, summed in double.
    public func evaluate(_ data: Dataset, batchSize: Int) throws -> (loss: Double, accuracy: Double) {
        var total = 0.0
        var correct = 0
        for batch in Batches(data, batchSize: batchSize, shuffle: false, seed: 0, epoch: 0) {
            let logits = try module(batch.images)
            let (loss, _) = try CrossEntropyLoss()(logits, batch.labels)
            total += Double(loss) * Double(batch.labels.count)
            let c = logits.shape.last ?? 1
            for (r, label) in batch.labels.enumerated() {
                var best = 0
                for j in 1..<c where logits.storage[r * c + j] > logits.storage[r * c + best] { best = j }
                if best == Int(label) { correct += 1 }
            }
        }
        let n = Double(max(data.count, 1))
        return (total / n, Double(correct) / n)
    }
}

/// The lr scheduler of a run with its `interval`.
public final class RunScheduler {
    /// The PyTorch-style scheduler (`getLastLR()`, `lastEpoch`, ...).
    public let scheduler: LRScheduler
    /// `.step`: stepped after every optimizer step; `.epoch` (the seed's): once per epoch.
    public let interval: SchedulerInterval

    init(_ scheduler: LRScheduler, interval: SchedulerInterval) {
        self.scheduler = scheduler
        self.interval = interval
    }

    public var typeName: String { scheduler.typeName }
    public var stepsPerBatch: Bool { interval == .step }

    /// `scheduler.step()`; ReduceLROnPlateau receives `metric` (the others ignore it).
    public func step(metric: Double? = nil) throws { try scheduler.step(metrics: metric) }
    public func stateDict() -> StateDict { scheduler.stateDict() }
    public func loadStateDict(_ sd: StateDict) throws { try scheduler.loadStateDict(sd) }
}

enum Backends {
    /// Loads the train and test sets; resolves the CIFAR-10 → synthetic fallback in `config`.
    static func loadData(_ config: inout RunConfig) throws -> (train: Dataset, test: Dataset?) {
        let d = config.data
        /// The CIFAR-10 files are in `root` or in the archive's `cifar-10-batches-bin` subfolder.
        func cifarPresent(_ names: [String]) -> Bool {
            [d.root, (d.root as NSString).appendingPathComponent("cifar-10-batches-bin")].contains { dir in
                names.allSatisfy { FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent($0)) }
            }
        }
        if d.dataset == .cifar10 {
            let present = cifarPresent(CIFAR10.trainFiles)
            if !present {
                guard d.datasetIsDefault else {
                    throw RunError.config("data.root: no CIFAR-10 binaries under \(d.root) (put data_batch_1.bin ... data_batch_5.bin and test_batch.bin from the CIFAR-10 binary version there, or use \"dataset\": \"synthetic\")")
                }
                config.data.dataset = .synthetic
            }
            config.data.datasetIsDefault = false
        }
        switch config.data.dataset {
        case .cifar10:
            let train = try CIFAR10.load(root: d.root, train: true)
            return (train, cifarPresent(CIFAR10.testFiles) ? try CIFAR10.load(root: d.root, train: false) : nil)
        case .hdf5:
            for (key, path) in [("data.path", d.path), ("data.test_path", d.testPath)] {
                if let path, !FileManager.default.fileExists(atPath: path) {
                    throw RunError.config("\(key): \(path): no such file")
                }
            }
            let train = try DataFile.load(path: d.path ?? "")
            return (train, try d.testPath.map { try DataFile.load(path: $0) })
        case .synthetic:
            let (train, test) = Synthetic.make(trainSize: d.trainSize, testSize: d.testSize, seed: config.seed)
            return (train, d.testSize > 0 ? test : nil)
        }
    }

    static func buildModel(_ config: RunConfig, sampleShape: [Int]) throws -> RunModel {
        switch config.model.type {
        case .lenet:
            guard sampleShape == [3, 32, 32] else {
                throw RunError.config("model.type: lenet takes [3, 32, 32] images, but the data's samples are \(sampleShape) (use \"type\": \"mlp\")")
            }
        case .mlp:
            let features = sampleShape.reduce(1, *)
            guard config.model.sizes.first == features else {
                throw RunError.config("model.sizes[0]: \(config.model.sizes[0]) inputs, but each sample has \(features) values (shape \(sampleShape))")
            }
        }
        return RunModel(try makeModel(type: config.model.type.rawValue, sizes: config.model.sizes, seed: config.seed))
    }

    /// The generator whose permutation orders `epoch`'s samples.
    static func shuffleGenerator(seed: UInt64, epoch: Int) -> RandomGenerator {
        RandomGenerator(seed: seed, stream: .shuffle, index: UInt64(epoch))
    }

    static func buildOptimizer(_ section: StateDict, parameters: [Parameter]) throws -> Optimizer {
        try makeOptimizer(config: section, parameters: parameters)
    }

    static func buildScheduler(_ section: StateDict?, optimizer: Optimizer) throws -> RunScheduler? {
        guard let section else { return nil }
        let (s, interval) = try makeScheduler(config: section, optimizer: optimizer)
        return RunScheduler(s, interval: interval)
    }

    static func save(_ c: Checkpoint, to path: String) throws {
        var c = c
        c.metadata["created_by"] = .string("ckpt \(ckptVersion)")
        try CheckpointFile.save(c, to: path)
    }

    static func load(_ path: String) throws -> Checkpoint { try CheckpointFile.load(path) }

    static func isTemporary(_ name: String) -> Bool { CheckpointFile.isTemporary(name) }
}
