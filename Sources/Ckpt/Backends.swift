import Foundation

// The one place that binds the run API to the training core, the optimizers, the schedulers
// and the checkpoint format. Everything else in this module goes through these functions.

/// Errors of the run API; each names the file or the section and what to do.
public enum RunError: Error, CustomStringConvertible, Equatable {
    /// `path`: what is wrong with the file.
    case file(String, String)
    /// A saved section does not fit what the config builds (names, shapes, group sizes).
    case mismatch(String)
    /// A config value the backends rejected.
    case config(String)

    public var description: String {
        switch self {
        case .file(let path, let message): "\(path): \(message)"
        case .mismatch(let message): message
        case .config(let message): message
        }
    }
}

/// One mini-batch: `images` `[B, ...sampleShape]`, `labels` `[B]`.
public struct Batch: Sendable {
    public var images: Tensor
    public var labels: [Int32]
    public var count: Int { labels.count }
}

/// The model of a run (LeNet or MLP), as the training loop sees it: PyTorch-named parameters,
/// `state_dict()`/`load_state_dict()`, and one forward + loss + backward call.
public final class RunModel {
    /// Parameters in `model.parameters()` order; the optimizer's groups share them.
    public let parameters: [Parameter]
    private let step: (Batch) throws -> Float

    init(parameters: [Parameter], step: @escaping (Batch) throws -> Float) {
        self.parameters = parameters
        self.step = step
    }

    /// Forward, mean cross-entropy loss, backward: ADDS each parameter's gradient (as
    /// `loss.backward()` does; call `optimizer.zeroGrad()` first) and returns the loss.
    public func forwardBackward(_ batch: Batch) throws -> Float { try step(batch) }

    /// `model.state_dict()`: name → float32 tensor, in parameter order.
    public func stateDict() -> StateDict {
        StateDict(parameters.map { ($0.name, .tensor(TensorData($0.value))) })
    }

    /// `model.load_state_dict(sd, strict:)`, plus an error naming the key and both shapes on a
    /// shape mismatch. Non-strict loading ignores missing and unexpected keys and returns them.
    @discardableResult
    public func loadStateDict(_ sd: StateDict, strict: Bool = true) throws -> (missing: [String], unexpected: [String]) {
        let names = Set(parameters.map(\.name))
        let missing = parameters.map(\.name).filter { sd[$0] == nil }
        let unexpected = sd.keys.filter { !names.contains($0) }
        if strict, !missing.isEmpty || !unexpected.isEmpty {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
            throw RunError.mismatch("model state dict: " + parts.joined(separator: "; "))
        }
        for p in parameters {
            guard let v = sd[p.name] else { continue }
            guard let t = v.tensorValue else { throw RunError.mismatch("model.\(p.name): expected a tensor, found \(v.kindName)") }
            guard t.shape == p.shape else {
                throw RunError.mismatch("model.\(p.name): shape \(t.shape) in the checkpoint, \(p.shape) in the model")
            }
            guard case .float32(let a) = t.storage else {
                throw RunError.mismatch("model.\(p.name): dtype \(t.dtype.rawValue) in the checkpoint, float32 in the model")
            }
            p.value = Tensor(shape: p.shape, storage: a)
        }
        return (missing, unexpected)
    }

    /// Mean loss and accuracy (fraction correct) over `data`, in batches of `batchSize`;
    /// changes no parameter and no gradient that the next step reads.
    public func evaluate(_ data: Dataset, batchSize: Int) throws -> (loss: Double, accuracy: Double) {
        try evaluator(data, batchSize)
    }
    var evaluator: (Dataset, Int) throws -> (loss: Double, accuracy: Double) = { _, _ in (0, 0) }
}

/// The lr scheduler of a run with its `interval`, as the training loop drives it.
public final class RunScheduler {
    /// PyTorch's class name.
    public let typeName: String
    /// True when it steps after every optimizer step, false once per epoch.
    public let stepsPerBatch: Bool
    /// True for ReduceLROnPlateau, whose `step` takes a metric.
    public let needsMetric: Bool
    private let impl: StandInExponentialLR

    init(typeName: String, stepsPerBatch: Bool, needsMetric: Bool, impl: StandInExponentialLR) {
        self.typeName = typeName
        self.stepsPerBatch = stepsPerBatch
        self.needsMetric = needsMetric
        self.impl = impl
    }

    /// `scheduler.step()`; `metric` is ReduceLROnPlateau's `metrics` argument (ignored by the others).
    public func step(metric: Double? = nil) throws { impl.step() }
    public func stateDict() -> StateDict { impl.stateDict() }
    public func loadStateDict(_ sd: StateDict) throws { try impl.loadStateDict(sd) }
}

enum Backends {
    typealias Generator = StandInRNG

    static func generator(seed: UInt64) -> Generator { StandInRNG(seed: seed ^ 0x1234) }
    static func generatorState(_ g: Generator) -> StateDict {
        ["algorithm": "splitmix64", "state": .tensor(TensorData(shape: [1], storage: .int64([Int64(bitPattern: g.state)])))]
    }
    static func restoreGenerator(_ sd: StateDict) throws -> Generator {
        guard case .int64(let a)? = sd["state"]?.tensorValue?.storage, a.count == 1 else {
            throw RunError.mismatch("rng.generator: expected the generator state")
        }
        return StandInRNG(seed: UInt64(bitPattern: a[0]))
    }

    /// Loads the train and test sets; resolves the CIFAR-10 → synthetic fallback in `config`.
    static func loadData(_ config: inout RunConfig) throws -> (train: Dataset, test: Dataset?) {
        if config.data.dataset == .cifar10 {
            let present = FileManager.default.fileExists(atPath: config.data.root + "/data_batch_1.bin")
            if !present, config.data.datasetIsDefault {
                config.data.dataset = .synthetic
                config.data.datasetIsDefault = false
            } else if !present {
                throw RunError.config("data.root: no CIFAR-10 binaries under \(config.data.root) (put data_batch_1.bin ... test_batch.bin there, or use \"dataset\": \"synthetic\")")
            } else {
                throw RunError.config("data.dataset: CIFAR-10 needs the training core")
            }
        }
        switch config.data.dataset {
        case .synthetic:
            func make(_ n: Int, _ stream: UInt64) -> Dataset {
                var rng = StandInRNG(seed: config.seed &+ stream)
                var x = [Float](repeating: 0, count: n * 3072)
                var y = [Int32](repeating: 0, count: n)
                for i in 0..<n {
                    let c = rng.below(10)
                    y[i] = Int32(c)
                    for k in 0..<3072 { x[i * 3072 + k] = rng.uniform(-1, 1) * 0.5 + (k % 10 == c ? 0.8 : 0) }
                }
                return Dataset(images: Tensor(shape: [n, 3, 32, 32], storage: x), labels: y, source: "synthetic (seed \(config.seed))")
            }
            let train = make(config.data.trainSize, 1)
            return (train, config.data.testSize > 0 ? make(config.data.testSize, 2) : nil)
        default:
            throw RunError.config("data.dataset: \(config.data.dataset.rawValue) needs the training core")
        }
    }

    static func buildModel(_ config: RunConfig, sampleShape: [Int], rng: inout Generator) throws -> RunModel {
        guard config.model.type == .mlp else { throw RunError.config("model.type: lenet needs the training core") }
        let features = sampleShape.reduce(1, *)
        guard config.model.sizes.first == features else {
            throw RunError.config("model.sizes[0]: \(config.model.sizes[0]) inputs, but each sample has \(features) values (shape \(sampleShape))")
        }
        let mlp = StandInMLP(sizes: config.model.sizes, rng: &rng)
        let m = RunModel(parameters: mlp.parameters) { b in mlp.lossAndGrad(b.images.storage, labels: b.labels).0 }
        m.evaluator = { data, bs in
            var correct = 0
            var total = 0.0
            var start = 0
            while start < data.count {
                let n = min(bs, data.count - start)
                let f = features
                let x = Array(data.images.storage[(start * f)..<((start + n) * f)])
                let logits = mlp.forward(x, n: n).last!
                let c = config.model.sizes.last!
                for s in 0..<n {
                    let row = Array(logits[(s * c)..<((s + 1) * c)])
                    let m = row.max()!
                    let sum = row.reduce(0.0) { $0 + exp(Double($1 - m)) }
                    total += -(Double(row[Int(data.labels[start + s])] - m) - log(sum))
                    if row.firstIndex(of: m)! == Int(data.labels[start + s]) { correct += 1 }
                }
                start += n
            }
            return (total / Double(data.count), Double(correct) / Double(data.count))
        }
        return m
    }

    /// The sample order of `epoch`: a pure function of (seed, epoch).
    static func epochOrder(count: Int, seed: UInt64, epoch: Int, shuffle: Bool) -> [Int] {
        var order = Array(0..<count)
        guard shuffle else { return order }
        var rng = StandInRNG(seed: seed &+ 0x5555 &+ UInt64(epoch) &* 0x1_0000_0001)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        return order
    }

    static func gather(_ data: Dataset, _ indices: ArraySlice<Int>) -> Batch {
        let f = data.sampleShape.reduce(1, *)
        var x = [Float](); x.reserveCapacity(indices.count * f)
        for i in indices { x.append(contentsOf: data.images.storage[(i * f)..<((i + 1) * f)]) }
        return Batch(images: Tensor(shape: [indices.count] + data.sampleShape, storage: x), labels: indices.map { data.labels[$0] })
    }

    static func buildOptimizer(_ section: StateDict, parameters: [Parameter]) throws -> Optimizer {
        guard section["type"]?.stringValue == "SGD" else { throw RunError.config("optimizer.type: only SGD until the optimizers land") }
        var opts: StateDict = [:]
        for (k, v) in section where k != "type" { opts[k] = v }
        return StandInSGD(paramGroups: [ParamGroup(params: parameters, options: opts)])
    }

    static func optimizerState(_ o: Optimizer) -> StateDict { (o as! StandInSGD).stateDict() }
    static func loadOptimizerState(_ o: Optimizer, _ sd: StateDict) throws { try (o as! StandInSGD).loadStateDict(sd) }

    static func buildScheduler(_ section: StateDict?, optimizer: Optimizer) throws -> RunScheduler? {
        guard let section else { return nil }
        guard section["type"]?.stringValue == "ExponentialLR", let g = section["gamma"]?.doubleValue else {
            throw RunError.config("scheduler.type: only ExponentialLR until the schedulers land")
        }
        return RunScheduler(typeName: "ExponentialLR", stepsPerBatch: section["interval"]?.stringValue == "step",
                            needsMetric: false, impl: StandInExponentialLR(optimizer: optimizer, gamma: g))
    }

    static func save(_ c: Checkpoint, to path: String) throws { try StandInCheckpointFile.save(c, to: path) }
    static func load(_ path: String) throws -> Checkpoint { try StandInCheckpointFile.load(path) }
    /// The `/model` group of any HDF5 file (a checkpoint or h5py's), for `--init-from`.
    static func loadModelWeights(_ path: String) throws -> StateDict { try load(path).model }
}
