import CKernels
import CkptCore

/// `torch.optim.Adadelta` (torch 2.15): rho, eps (inside both square roots), lr, L2 weight
/// decay, maximize.
///
/// PyTorch's CPU single-tensor path, operation by operation: `step += 1` (float32),
/// `square_avg.mul_(rho).addcmul_(g, g, 1-rho)`, `std = sqrt(square_avg + eps)`,
/// `delta = sqrt(acc_delta + eps) / std * g`, `acc_delta.mul_(rho).addcmul_(delta, delta, 1-rho)`,
/// `p.add_(delta, alpha=-lr)`. Bit-identical except for the square roots (PyTorch's MKL
/// `sqrt` is not correctly rounded).
/// State per parameter with a gradient, created on its first step: `step` (0-d float32,
/// unused by the math), `square_avg`, `acc_delta`.
public final class Adadelta: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "Adadelta"
    public static var defaultOptions: StateDict {
        ["lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0, "maximize": false,
         "capturable": false, "foreach": nil, "differentiable": false]
    }
    override public var typeName: String { Self.optimizerName }

    /// `Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, rho: Double? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "rho": rho.map(StateValue.double),
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
        if let v = o["rho"], let d = v.doubleValue, !(d >= 0 && d <= 1) {
            throw OptimizerError(.invalidValue, "Invalid rho value: \(pyRepr(v))", key: "rho")
        }
        try requireNonNegative(o, "eps", "epsilon value")
        try requireNonNegative(o, "weight_decay", "weight_decay value")
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let negLr = Float(-(try number(group, "lr"))), eps = Float(try number(group, "eps"))
            let wdD = try number(group, "weight_decay"), wd = Float(wdD)
            let rhoD = try number(group, "rho"), rho = Float(rhoD), omr = Float(1 - rhoD)
            var flags = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wdD != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            for p in group.params {
                guard let grad = try checkedGrad(p) else { continue }
                let n = grad.count
                var s = takeState(p) ?? ["step": .tensor(.scalar(0)), "square_avg": Self.zerosState(p),
                                         "acc_delta": Self.zerosState(p)]
                try requireBuffers(s, ["square_avg", "acc_delta"], count: n, for: p)
                s["step"] = .tensor(.scalar(s.stepValue() + 1))
                var sq = s.takeFloats("square_avg")!, acc = s.takeFloats("acc_delta")!, none: [Float] = []
                withKernelPointers(p, grad, &sq, &acc, &none) { x, g, sp, ap, _ in
                    ckpt_adadelta_step(x, g, sp, ap, n, flags, wd, rho, omr, eps, negLr)
                }
                s.putFloats("square_avg", sq, shape: p.shape)
                s.putFloats("acc_delta", acc, shape: p.shape)
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
