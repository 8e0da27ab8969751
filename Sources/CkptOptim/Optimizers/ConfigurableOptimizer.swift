import CkptCore

/// An optimizer the run config can build by name: its PyTorch defaults, its constructor
/// checks, and PyTorch's constructor `Optimizer(groups, **options)`.
public protocol ConfigurableOptimizer: Optimizer {
    /// PyTorch's class name, the config's `"type"`.
    static var optimizerName: String { get }
    /// Every hyperparameter with its torch 2.15 default, in PyTorch's key order.
    static var defaultOptions: StateDict { get }
    /// PyTorch's constructor checks on a complete set of hyperparameters.
    static func validate(_ options: StateDict) throws
    /// `Optimizer([{"params": ..., **groupOptions}, ...], **options)`: `options` override the
    /// defaults (unknown keys are an error); each group's own options override those.
    init(groups: [ParamGroup], options: StateDict) throws
}

/// The optimizers `makeOptimizer` knows, by PyTorch class name.
public let optimizerTypes: [String: any ConfigurableOptimizer.Type] = [
    "SGD": SGD.self, "Adam": Adam.self, "AdamW": AdamW.self,
    "RMSprop": RMSprop.self, "Adagrad": Adagrad.self,
    "Adamax": Adamax.self, "NAdam": NAdam.self, "RAdam": RAdam.self, "Adadelta": Adadelta.self,
    "ASGD": ASGD.self, "Rprop": Rprop.self, "Adafactor": Adafactor.self,
    "SparseAdam": SparseAdam.self, "Muon": Muon.self, "LBFGS": LBFGS.self,
]
