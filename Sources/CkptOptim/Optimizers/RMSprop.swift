import CKernels
import CkptCore

/// `torch.optim.RMSprop` (torch 2.15): alpha, eps (added outside the square root),
/// L2 weight decay, momentum, centered, maximize.
///
/// Follows PyTorch's CPU single-tensor path; within 4 ulp (PyTorch's MKL `sqrt`).
/// State per parameter with a gradient, created on its first step: `step` (0-d float32,
/// unused by the math), `square_avg`, `momentum_buffer` when momentum > 0, `grad_avg` when centered.
public final class RMSprop: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "RMSprop"
    public static var defaultOptions: StateDict {
        ["lr": 1e-2, "momentum": 0, "alpha": 0.99, "eps": 1e-8, "centered": false,
         "weight_decay": 0, "capturable": false, "foreach": nil, "maximize": false,
         "differentiable": false]
    }
    override public var typeName: String { Self.optimizerName }

    /// `RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, alpha: Double? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, momentum: Double? = nil, centered: Bool? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "alpha": alpha.map(StateValue.double),
            "eps": eps.map(StateValue.double),
            "weight_decay": weightDecay.map(StateValue.double),
            "momentum": momentum.map(StateValue.double),
            "centered": centered.map(StateValue.bool),
            "maximize": maximize.map(StateValue.bool),
        ]))
    }

    public init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options, defaults: Self.defaultOptions, type: Self.optimizerName,
                       validate: Self.validate)
    }

    public static func validate(_ o: StateDict) throws {
        try requireNonNegative(o, "lr", "learning rate")
        try requireNonNegative(o, "eps", "epsilon value")
        try requireNonNegative(o, "momentum", "momentum value")
        try requireNonNegative(o, "weight_decay", "weight_decay value")
        try requireNonNegative(o, "alpha", "alpha value")
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), alpha = try number(group, "alpha")
            let eps = try number(group, "eps"), wd = try number(group, "weight_decay")
            let momentum = try number(group, "momentum"), centered = try flag(group, "centered")
            var flags: Int32 = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wd != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            if momentum > 0 { flags |= Int32(CKPT_OPT_MOMENTUM) }
            if centered { flags |= Int32(CKPT_OPT_CENTERED) }
            for p in group.params {
                guard let g = try checkedGrad(p) else { continue }
                let n = g.count
                var s = takeState(p) ?? [:]
                if s.isEmpty {
                    let zeros = TensorData(shape: p.shape, storage: .float32([Float](repeating: 0, count: n)))
                    s = ["step": .tensor(.scalar(0)), "square_avg": .tensor(zeros)]
                    if momentum > 0 { s["momentum_buffer"] = .tensor(zeros) }
                    if centered { s["grad_avg"] = .tensor(zeros) }
                }
                s["step"] = .tensor(.scalar(s.stepValue() + 1))
                var sq = s.takeFloats("square_avg") ?? []
                var buf = momentum > 0 ? (s.takeFloats("momentum_buffer") ?? [Float](repeating: 0, count: n)) : []
                var ga = centered ? (s.takeFloats("grad_avg") ?? [Float](repeating: 0, count: n)) : []
                guard sq.count == n, momentum <= 0 || buf.count == n, !centered || ga.count == n else {
                    putState(s, for: p)
                    throw OptimizerError(.invalidValue, "RMSprop: state of '\(p.name)' does not have its \(n) elements")
                }
                withKernelPointers(p, g, &sq, &ga, &buf) { pp, gp, sp, ap, bp in
                    forEachKernelChunk(n) { i, c in
                        ckpt_rmsprop_step(pp + i, gp + i, sp.map { $0 + i }, ap.map { $0 + i }, bp.map { $0 + i },
                                          c, flags, Float(wd), Float(alpha), Float(1 - alpha), Float(eps),
                                          Float(momentum), Float(-lr))
                    }
                }
                s.putFloats("square_avg", sq, shape: p.shape)
                if momentum > 0 { s.putFloats("momentum_buffer", buf, shape: p.shape) }
                if centered { s.putFloats("grad_avg", ga, shape: p.shape) }
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
