import CKernels
import CkptCore

/// One parameter group of an optimizer, as an entry of PyTorch's `optimizer.param_groups`.
///
/// `options` holds every key except `params`, in PyTorch's key order, with Python's types
/// (`momentum` may be the int 0, `betas` a tuple, `foreach` None). Schedulers read and write
/// `lr` (and `initial_lr`, `momentum`, `betas`, ...) through the subscript, as PyTorch's
/// schedulers write `group["lr"]`.
///
/// Groups built by `Optimizer.addParamGroup` also hold `param_names` where PyTorch puts it
/// for an optimizer built from `named_parameters()`: after the keys the caller gave, before
/// the defaults. `stateDict()` refreshes it from the parameters' names.
public struct ParamGroup {
    public var params: [Parameter]
    public var options: StateDict

    public init(params: [Parameter], options: StateDict) {
        self.params = params
        self.options = options
    }

    public subscript(key: String) -> StateValue? {
        get { options[key] }
        set { options[key] = newValue }
    }

    /// `group["lr"]` as a double (PyTorch's lr is a Python float).
    public var lr: Double {
        get { options["lr"]?.doubleValue ?? 0 }
        set { options["lr"] = .double(newValue) }
    }
}

/// The base of every optimizer, mirroring `torch.optim.Optimizer`.
///
/// Subclasses implement `step()`. `stepCalls` counts `step()` calls so schedulers can warn,
/// as PyTorch does, when `scheduler.step()` runs before the first `optimizer.step()`.
///
/// State dicts: `stateDict()` returns `["type": typeName, "state": ["<i>": [...]],
/// "param_groups": [[hyperparameters..., "params": [i...]]]]`, PyTorch's structure with our
/// `type` key first; `loadStateDict(_:)` follows PyTorch's rules (see its comment).
open class Optimizer {
    public var paramGroups: [ParamGroup]
    /// Per-parameter state keyed by the parameter's identity, values as PyTorch names them
    /// (`momentum_buffer`, `exp_avg`, `step`, ...).
    public var state: [ObjectIdentifier: StateDict] = [:]
    /// Number of completed `step()` calls.
    public var stepCalls: Int = 0
    /// PyTorch's `optimizer.defaults`: every hyperparameter with its default, in key order.
    public internal(set) var defaults: StateDict = [:]
    /// Hyperparameters without a default (PyTorch's `required`): a group must give them.
    public internal(set) var requiredKeys: [String] = []
    /// The order in which parameters first got state: PyTorch's `self.state` is a dict in
    /// insertion order, and `state_dict()["state"]` keeps it.
    var stateOrder: [ObjectIdentifier] = []
    var stateOrderSet: Set<ObjectIdentifier> = []
    /// Runs the portable `fmaf()` kernels even on an FMA CPU (tests check both give the same bits).
    var portableKernels = false
    /// Flags every kernel call gets.
    var baseKernelFlags: Int32 { portableKernels ? Int32(CKPT_OPT_PORTABLE) : 0 }

    /// Threads a step may use (each large tensor is cut into `KernelSplit` chunks); nil:
    /// `Compute.threads`, all cores unless set. Results are the same bits for every count.
    public var threads: Int?
    /// Elements per chunk of a split tensor (tests lower it to split small tensors).
    var splitChunk = KernelSplit.chunkElements

    /// Runs `body(start, count)` over `0..<n` in the fixed chunks of `KernelSplit`.
    func forEachKernelChunk(_ n: Int, _ body: (_ start: Int, _ count: Int) -> Void) {
        KernelSplit.forEachChunk(n, threads: Swift.max(1, threads ?? Compute.threads),
                                 chunk: splitChunk, body)
    }

    public init(paramGroups: [ParamGroup]) {
        self.paramGroups = paramGroups
    }

    /// `torch.optim.Optimizer(params, defaults)`: no groups yet; subclasses add them with
    /// `addParamGroup` after checking their constructor arguments.
    public init(defaults: StateDict, requiredKeys: [String] = []) {
        self.paramGroups = []
        self.defaults = defaults
        self.requiredKeys = requiredKeys
    }

    /// A built-in optimizer's constructor, in PyTorch's order: `options` (keyword arguments)
    /// merged into the class `defaults` (an unknown key is Python's TypeError), the merged set
    /// checked by `validate`, then `groups` added (each group's own options override).
    init(groups: [ParamGroup], options: StateDict, defaults: StateDict, type: String,
         validate: (StateDict) throws -> Void) throws {
        let merged = try Optimizer.mergedDefaults(defaults, options, type: type)
        try validate(merged)
        self.paramGroups = []
        self.defaults = merged
        try addInitialGroups(groups)
    }

    /// PyTorch's class name ("SGD", "Adam", ...).
    open var typeName: String { "Optimizer" }

    open func step() throws {
        stepCalls += 1
    }

    /// Clears gradients; `setToNone: true` (PyTorch's default) makes them `nil`.
    public func zeroGrad(setToNone: Bool = true) {
        for group in paramGroups {
            for p in group.params {
                if setToNone {
                    p.grad = nil
                } else if p.grad != nil {
                    p.grad = Tensor(shape: p.shape)
                }
            }
        }
    }

    /// `optimizer.add_param_group({"params": params, **options})`.
    ///
    /// Key order follows PyTorch: the keys of `options` as given, then `param_names`, then
    /// the defaults `options` lacks. Throws PyTorch's `ValueError`s when a parameter is
    /// already in another group or a required hyperparameter is missing.
    public func addParamGroup(_ params: [Parameter], options: StateDict = [:]) throws {
        for key in options.keys where key == "params" || key == "param_names" {
            throw OptimizerError(.invalidValue, "param group option '\(key)' is set from the parameters, not given")
        }
        var group = options
        group["param_names"] = .list(params.map { .string($0.name) })
        for (key, value) in defaults where group[key] == nil {
            if requiredKeys.contains(key) {
                throw OptimizerError(.invalidValue,
                    "parameter group didn't specify a value of required optimization parameter \(key)")
            }
            group[key] = value
        }
        for key in requiredKeys where group[key] == nil {
            throw OptimizerError(.invalidValue,
                "parameter group didn't specify a value of required optimization parameter \(key)")
        }
        var existing = Set<ObjectIdentifier>()
        for g in paramGroups { for p in g.params { existing.insert(ObjectIdentifier(p)) } }
        if params.contains(where: { existing.contains(ObjectIdentifier($0)) }) {
            throw OptimizerError(.invalidValue, "some parameters appear in more than one parameter group")
        }
        paramGroups.append(ParamGroup(params: params, options: group))
    }

    /// Adds the constructor's groups, as `Optimizer.__init__` does: an empty parameter list
    /// is PyTorch's `ValueError("optimizer got an empty parameter list")`.
    func addInitialGroups(_ groups: [ParamGroup]) throws {
        if groups.isEmpty || (groups.count == 1 && groups[0].params.isEmpty) {
            throw OptimizerError(.invalidValue, "optimizer got an empty parameter list")
        }
        for g in groups { try addParamGroup(g.params, options: g.options) }
    }

    /// Fills group keys an older state dict lacks (PyTorch's `__setstate__`).
    open func completeLoadedGroup(_ group: inout StateDict) {
        for (key, value) in defaults where group[key] == nil { group[key] = value }
    }

    /// Forgets the state of `params` (ZeRO stage 1: the rank that does not own a parameter
    /// keeps none of its state). Their next step with a gradient starts fresh state, as in PyTorch.
    public func discardState(of params: [Parameter]) {
        let ids = Set(params.map(ObjectIdentifier.init))
        for id in ids { state[id] = nil }
        stateOrder.removeAll { ids.contains($0) }
        stateOrderSet.subtract(ids)
    }

    // MARK: state helpers for subclasses

    /// Removes and returns `p`'s state so its buffers are uniquely referenced while a kernel
    /// writes them; `putState` puts it back.
    func takeState(_ p: Parameter) -> StateDict? {
        state.removeValue(forKey: ObjectIdentifier(p))
    }

    func putState(_ s: StateDict, for p: Parameter) {
        let id = ObjectIdentifier(p)
        if stateOrderSet.insert(id).inserted { stateOrder.append(id) }
        state[id] = s
    }
}
