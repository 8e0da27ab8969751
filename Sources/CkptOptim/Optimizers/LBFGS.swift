import CkptCore

/// `torch.optim.LBFGS` (torch 2.15): limited-memory BFGS over all parameters as one flat
/// vector, with a fixed step or PyTorch's `strong_wolfe` line search, and maximize.
///
/// It re-evaluates the loss several times per step, so it steps only through
/// `step(closure:)`: the closure zeroes the gradients, computes the loss on the same batch,
/// fills every parameter's `grad` and returns the loss (PyTorch's `closure`). `step()`
/// without one throws. One parameter group only, as PyTorch (its constructor refuses more).
/// `max_eval` None becomes `max_iter * 5 // 4` in the constructor, as PyTorch stores it.
///
/// State, as PyTorch keeps it, all on the first parameter: `func_evals` and `n_iter`
/// (Python ints), then after the first iteration `al` (a list of `history_size` entries,
/// None or 0-d tensors), `d` (flat direction), `t` (step length: a Python float or a 0-d
/// tensor, as PyTorch's arithmetic left it), `old_dirs` / `old_stps` (lists of flat
/// tensors), `ro` (list of 0-d tensors), `H_diag` (the int 1 or a 0-d tensor),
/// `prev_flat_grad`, `prev_loss` (a Python float). Scalars follow PyTorch's type promotion
/// (`PyScalar`), so their rounding does too; dot products and sums round once from double
/// (`FlatVector`), so results agree with PyTorch within float32 tolerance, not bit for bit.
public final class LBFGS: TorchOptimizer {
    override public class var optimizerName: String { "LBFGS" }
    override public class var defaultOptions: StateDict {
        ["lr": 1, "max_iter": 20, "max_eval": nil, "tolerance_grad": 1e-7, "tolerance_change": 1e-9,
         "history_size": 100, "line_search_fn": nil, "maximize": false]
    }

    /// `LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
    /// tolerance_change=1e-9, history_size=100, line_search_fn=None, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, maxIter: Int? = nil, maxEval: Int? = nil,
        toleranceGrad: Double? = nil, toleranceChange: Double? = nil, historySize: Int? = nil,
        lineSearchFn: String? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "max_iter": .integer(maxIter), "max_eval": .integer(maxEval),
                               "tolerance_grad": .number(toleranceGrad), "tolerance_change": .number(toleranceChange),
                               "history_size": .integer(historySize), "line_search_fn": lineSearchFn.map(StateValue.string),
                               "maximize": .flag(maximize)])
    }

    public required init(groups: [ParamGroup], options: StateDict = [:]) throws {
        var o = options
        if o["max_eval"]?.isNone ?? true {            // max_eval = max_iter * 5 // 4
            switch o["max_iter"] ?? .int(20) {
            case .int(let i): o["max_eval"] = .int(Int64((Double(i) * 5 / 4).rounded(.down)))
            case let v: o["max_eval"] = .double(((v.doubleValue ?? 20) * 5 / 4).rounded(.down))
            }
        }
        try super.init(groups: groups, options: o)
        if paramGroups.count != 1 {
            throw OptimizerError(.invalidValue, "LBFGS doesn't support per-parameter options (parameter groups)")
        }
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr")
    }

    /// LBFGS needs the loss again inside its step: `step(closure:)`.
    override public func step() throws {
        throw OptimizerError(.invalidValue,
            "LBFGS.step() needs a closure that re-evaluates the loss: call step(closure:)")
    }

    /// PyTorch's `LBFGS.step(closure)`: returns the closure's first loss.
    @discardableResult
    public func step(closure: () throws -> Double) throws -> Double {
        guard paramGroups.count == 1 else {
            throw OptimizerError(.invalidValue, "Expected exactly one param_group, but got \(paramGroups.count)")
        }
        let group = paramGroups[0], params = group.params
        stepCalls += 1
        if params.isEmpty { return try closure() }
        let o = try Options(self, group)
        var st = takeState(params[0]) ?? [:]
        defer { putState(st, for: params[0]) }
        return try withoutActuallyEscaping(closure) { c in
            try Run(params: params, options: o, closure: c).step(&st)
        }
    }

    /// The group's hyperparameters, read once per step.
    struct Options {
        /// `_to_scalar(group["lr"])`: a Python int or float (the default is the int 1).
        var lr: PyScalar
        var maxIter: Int, maxEval: Int, historySize: Int
        var toleranceGrad: Double, toleranceChange: Double
        var lineSearch: String?, maximize: Bool

        init(_ opt: LBFGS, _ group: ParamGroup) throws {
            guard let l = PyScalar(group["lr"]) else {
                throw OptimizerError(.invalidType, "LBFGS: param group 'lr' must be a number, found \(group["lr"]?.kindName ?? "nothing")")
            }
            lr = l.isTensor ? .float(l.double) : l
            maxIter = Int(try opt.number(group, "max_iter"))
            maxEval = Int(try opt.number(group, "max_eval"))
            historySize = Int(try opt.number(group, "history_size"))
            toleranceGrad = try opt.number(group, "tolerance_grad")
            toleranceChange = try opt.number(group, "tolerance_change")
            switch group["line_search_fn"] {
            case nil, .none?: lineSearch = nil
            case .string(let s)?: lineSearch = s
            case let v?: throw OptimizerError(.invalidType, "LBFGS: param group 'line_search_fn' must be None or a name, found \(v.kindName)")
            }
            maximize = try opt.flag(group, "maximize")
        }
    }
}
