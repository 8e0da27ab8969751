import CkptCore

/// `torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=...)` for a model without
/// buffers: a copy of the model's parameters kept as a running average, and `n_averaged`.
///
/// `update(from:)` is PyTorch's `update_parameters(model)`: while `n_averaged == 0` it copies
/// the parameters; afterwards it runs the averaging function (`AveragingStrategy`), then
/// increments `n_averaged`. The arithmetic is PyTorch's float32 CPU arithmetic for each
/// strategy (see `AveragingStrategy`), so the averages are PyTorch's bits.
///
/// `stateDict()` is `AveragedModel.state_dict()`: `n_averaged` (a 0-d int64 tensor) first,
/// then `module.<name>` for each parameter in `named_parameters()` order.
public final class AveragedModel {
    public let strategy: AveragingStrategy
    /// The parameters' names, as the model names them (without `module.`).
    public let names: [String]
    /// The averaged values, one per name.
    public private(set) var values: [Tensor]
    /// PyTorch's `n_averaged`: how many models have been averaged in.
    public private(set) var nAveraged: Int64 = 0
    /// Threads an update may use (each large tensor cut into `KernelSplit` chunks); nil:
    /// `Compute.threads`. The averages are the same bits for every count.
    public var threads: Int?
    /// Elements per chunk of a split tensor (tests lower it to split small tensors).
    var splitChunk = KernelSplit.chunkElements
    /// Runs the portable `fmaf()` loops even on an FMA CPU (tests check both give the same bits).
    var portableKernels = false

    /// `AveragedModel(model)`: a deep copy of the parameters as they are now, `n_averaged` 0.
    public init(parameters: [Parameter], strategy: AveragingStrategy) {
        self.strategy = strategy
        self.names = parameters.map(\.name)
        self.values = parameters.map(\.value)
    }

    /// PyTorch's `update_parameters(model)`. Throws when `parameters` do not match the
    /// averaged model's names and shapes (PyTorch's `zip` would silently pair them).
    public func update(from parameters: [Parameter]) throws {
        guard parameters.count == names.count else {
            throw AveragingError("the model has \(parameters.count) parameters, the averaged model \(names.count)")
        }
        for (i, p) in parameters.enumerated() where p.shape != values[i].shape {
            throw AveragingError("parameter \(p.name): shape \(p.shape) in the model, \(values[i].shape) in the averaged model")
        }
        if nAveraged == 0 {
            values = parameters.map(\.value)
        } else {
            for (i, p) in parameters.enumerated() {
                strategy.update(&values[i].storage, p.value.storage, nAveraged: nAveraged,
                                threads: Swift.max(1, threads ?? Compute.threads), chunk: splitChunk,
                                portable: portableKernels)
            }
        }
        nAveraged += 1
    }

    /// The averaged parameters under their model names, as `model.state_dict()` would hold them
    /// (what `ckpt convert --averaged` exports and evaluation loads into a model).
    public func moduleStateDict() -> StateDict {
        StateDict(zip(names, values).map { ($0, StateValue.tensor(TensorData($1))) })
    }

    /// `AveragedModel.state_dict()`: `n_averaged`, then `module.<name>`.
    public func stateDict() -> StateDict {
        var sd: StateDict = ["n_averaged": .tensor(TensorData(shape: [], storage: .int64([nAveraged])))]
        for (name, v) in zip(names, values) { sd["module." + name] = .tensor(TensorData(v)) }
        return sd
    }

    /// `AveragedModel.load_state_dict(sd)` (strict): every key present, nothing else, shapes
    /// equal, float32 parameters, `n_averaged` a non-negative 0-d int64 tensor. Nothing changes
    /// when it throws. Errors name `path/<key>`.
    public func loadStateDict(_ sd: StateDict, path: String = "averaged_model") throws {
        let r = StateDictReader(sd, path: path, separator: "/")
        guard let n = try r.tensor("n_averaged", dtype: .int64, rank: 0, expected: "a 0-d int64 tensor") else {
            throw r.error("n_averaged", "missing")
        }
        guard case .int64(let a) = n.storage, let count = a.first, count >= 0 else {
            throw r.error("n_averaged", "expected a non-negative count")
        }
        var loaded: [Tensor] = []
        for (name, v) in zip(names, values) {
            let key = "module." + name
            guard let t = try r.tensor(key, dtype: .float32, expected: "a float32 tensor of shape \(v.shape)") else {
                throw r.error(key, "missing (the model has parameter \(name))")
            }
            guard t.shape == v.shape else {
                throw r.error(key, "shape \(t.shape) in the state, \(v.shape) in the model")
            }
            guard case .float32(let f) = t.storage else { throw r.error(key, "expected float32") }
            loaded.append(Tensor(shape: t.shape, storage: f))
        }
        try r.finish("AveragedModel")
        values = loaded
        nAveraged = count
    }
}
