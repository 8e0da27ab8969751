#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import CkptCore

/// `torch.optim.Adamax` (torch 2.15): Adam with the infinity norm, L2 weight decay, maximize.
///
/// PyTorch's CPU single-tensor path, operation by operation, bit-identical (no square root):
/// `step += 1` (float32), `g.add(p, alpha=wd)` as a fused multiply-add,
/// `exp_avg.lerp_(g, 1-beta1)`, `exp_inf = maximum(exp_inf*beta2, |g|+eps)` (NaN wins),
/// `clr = lr / (1 - beta1**step)` in double, `p.addcdiv_(exp_avg, exp_inf, value=-clr)`.
/// State per parameter with a gradient, created on its first step: `step` (0-d float32),
/// `exp_avg`, `exp_inf`.
public final class Adamax: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "Adamax"
    public static var defaultOptions: StateDict {
        ["lr": 2e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0,
         "foreach": nil, "maximize": false, "differentiable": false, "capturable": false]
    }
    override public var typeName: String { Self.optimizerName }

    /// `Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "betas": betas.map { .tuple([.double($0.0), .double($0.1)]) },
            "eps": eps.map(StateValue.double),
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
        try requireNonNegative(o, "eps", "epsilon value")
        try requireBetas(o)
        try requireNonNegative(o, "weight_decay", "weight_decay value")
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), eps = Float(try number(group, "eps"))
            let wdD = try number(group, "weight_decay"), wd = Float(wdD)
            let (beta1, beta2D) = try pair(group, "betas")
            let w1 = Float(1 - beta1), beta2 = Float(beta2D)
            var flags = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wdD != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            for p in group.params {
                guard let grad = try checkedGrad(p) else { continue }
                let n = grad.count
                var s = takeState(p) ?? ["step": .tensor(.scalar(0)), "exp_avg": Self.zerosState(p),
                                         "exp_inf": Self.zerosState(p)]
                let stepT = s.stepValue() + 1
                s["step"] = .tensor(.scalar(stepT))
                let clr = lr / (1 - pow(beta1, Double(stepT)))
                let negClr = Float(-clr)
                try requireBuffers(s, ["exp_avg", "exp_inf"], count: n, for: p)
                var expAvg = s.takeFloats("exp_avg")!, expInf = s.takeFloats("exp_inf")!, none: [Float] = []
                withKernelPointers(p, grad, &expAvg, &expInf, &none) { x, g, m, u, _ in
                    ckpt_adamax_step(x, g, m, u, n, flags, wd, w1, beta2, eps, negClr)
                }
                s.putFloats("exp_avg", expAvg, shape: p.shape)
                s.putFloats("exp_inf", expInf, shape: p.shape)
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
