#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import CkptCore

/// `torch.optim.ASGD` (torch 2.15): averaged SGD with lambd, alpha, t0, L2 weight decay, maximize.
///
/// PyTorch's CPU single-tensor path, operation by operation, bit-identical (no square root):
/// `step += 1` (float32), `p.mul_(1 - lambd*eta)`, `p.add_(g, alpha=-eta)` (eta read from its
/// float32 tensor), `ax.add_((p - ax) * mu)` (or `ax.copy_(p)` while `mu == 1`), then
/// `eta = lr / (1 + lambd*lr*step)**alpha` and `mu = 1 / max(1, step - t0)` in double, stored
/// as float32.
/// State per parameter with a gradient, created on its first step: `step` (0-d float32),
/// `eta` (0-d float32, starting at lr), `mu` (0-d float32, starting at 1), `ax` (the average).
public final class ASGD: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "ASGD"
    public static var defaultOptions: StateDict {
        ["lr": 1e-2, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0, "foreach": nil,
         "maximize": false, "differentiable": false, "capturable": false]
    }
    override public var typeName: String { Self.optimizerName }

    /// `ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, lambd: Double? = nil, alpha: Double? = nil,
        t0: Double? = nil, weightDecay: Double? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "lambd": lambd.map(StateValue.double),
            "alpha": alpha.map(StateValue.double),
            "t0": t0.map(StateValue.double),
            "weight_decay": weightDecay.map(StateValue.double),
            "maximize": maximize.map(StateValue.bool),
        ]))
    }

    public init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options, defaults: Self.defaultOptions, type: Self.optimizerName,
                       validate: Self.validate)
    }

    public static func validate(_ o: StateDict) throws {
        try requireNonNegative(o, "lr", "learning rate")
        try requireNonNegative(o, "lambd", "lambd value")
        try requireNonNegative(o, "alpha", "alpha value")
        try requireNonNegative(o, "weight_decay", "weight_decay value")
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), lambd = try number(group, "lambd")
            let alpha = try number(group, "alpha"), t0 = try number(group, "t0")
            let wdD = try number(group, "weight_decay"), wd = Float(wdD)
            var flags = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wdD != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            for p in group.params {
                guard let grad = try checkedGrad(p) else { continue }
                let n = grad.count
                var s = takeState(p) ?? ["step": .tensor(.scalar(0)), "eta": .tensor(.scalar(Float(lr))),
                                         "mu": .tensor(.scalar(1)), "ax": Self.zerosState(p)]
                try requireBuffers(s, ["ax"], count: n, for: p)
                let stepT = s.stepValue() + 1
                s["step"] = .tensor(.scalar(stepT))
                let eta = Double(Self.scalarState(s, "eta", default: Float(lr)))
                let mu = Self.scalarState(s, "mu", default: 1)
                let decay = Float(1 - lambd * eta), negEta = Float(-eta)
                var ax = s.takeFloats("ax")!, none: [Float] = [], none2: [Float] = []
                withKernelPointers(p, grad, &ax, &none, &none2) { x, g, a, _, _ in
                    ckpt_asgd_step(x, g, a, n, flags, wd, decay, negEta, mu)
                }
                s.putFloats("ax", ax, shape: p.shape)
                let step = Double(stepT)
                s["eta"] = .tensor(.scalar(Float(lr / pow(1 + lambd * lr * step, alpha))))
                s["mu"] = .tensor(.scalar(Float(1 / Swift.max(1, step - t0))))
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
