#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import CkptCore

/// `torch.optim.RAdam` (torch 2.15): rectified Adam, L2 or decoupled weight decay, maximize.
///
/// PyTorch's CPU single-tensor path, operation by operation: `step += 1` (float32), weight
/// decay, `exp_avg.lerp_(g, 1-beta1)`, `exp_avg_sq.mul_(beta2).addcmul_(g, g, 1-beta2)`;
/// `rho_t = rho_inf - 2*step*beta2**step/bc2` in double. When `rho_t > 5`:
/// `p -= ((exp_avg/bc1) * lr) * (reciprocal(sqrt(exp_avg_sq) + eps) * sqrt(bc2)) * rect`
/// (a Python float divided by a tensor is PyTorch's `reciprocal() * scalar`); otherwise
/// `p -= (exp_avg/bc1) * lr`. Bit-identical except for the square root (PyTorch's MKL `sqrt`
/// is not correctly rounded; the un-rectified early steps have none).
/// State per parameter with a gradient, created on its first step: `step` (0-d float32),
/// `exp_avg`, `exp_avg_sq`.
public final class RAdam: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "RAdam"
    public static var defaultOptions: StateDict {
        ["lr": 1e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0,
         "maximize": false, "foreach": nil, "capturable": false, "decoupled_weight_decay": false,
         "differentiable": false]
    }
    override public var typeName: String { Self.optimizerName }

    /// `RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    /// decoupled_weight_decay=False, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, decoupledWeightDecay: Bool? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "betas": betas.map { .tuple([.double($0.0), .double($0.1)]) },
            "eps": eps.map(StateValue.double),
            "weight_decay": weightDecay.map(StateValue.double),
            "decoupled_weight_decay": decoupledWeightDecay.map(StateValue.bool),
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
            let lrD = try number(group, "lr"), lr = Float(lrD), eps = Float(try number(group, "eps"))
            let wdD = try number(group, "weight_decay"), wd = Float(wdD)
            let decoupled = try flag(group, "decoupled_weight_decay")
            let (beta1, beta2D) = try pair(group, "betas")
            let w1 = Float(1 - beta1), beta2 = Float(beta2D), omb2 = Float(1 - beta2D)
            var flags = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wdD != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            if decoupled { flags |= Int32(CKPT_OPT_DECOUPLED) }
            let decay = Float(1 - lrD * wdD)
            for p in group.params {
                guard let grad = try checkedGrad(p) else { continue }
                let n = grad.count
                var s = takeState(p) ?? ["step": .tensor(.scalar(0)), "exp_avg": Self.zerosState(p),
                                         "exp_avg_sq": Self.zerosState(p)]
                try requireBuffers(s, ["exp_avg", "exp_avg_sq"], count: n, for: p)
                let stepT = s.stepValue() + 1
                s["step"] = .tensor(.scalar(stepT))
                let step = Double(stepT)
                let bc1D = 1 - pow(beta1, step), bc2D = 1 - pow(beta2D, step)
                let bc1 = Float(bc1D)
                let rhoInf = 2 / (1 - beta2D) - 1
                let rhoT = rhoInf - 2 * step * pow(beta2D, step) / bc2D
                let rectified = rhoT > 5.0
                // Only read when rectified (rho_t > 5 keeps the square root's argument positive).
                let rect = rectified ? Float(pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5)) : 0
                let bc2Sqrt = Float(pow(bc2D, 0.5))
                var m = s.takeFloats("exp_avg")!, v = s.takeFloats("exp_avg_sq")!, none: [Float] = []
                withKernelPointers(p, grad, &m, &v, &none) { x, g, mp, vp, _ in
                    ckpt_radam_step(x, g, mp, vp, n, flags, wd, decay, w1, beta2, omb2, bc1, lr,
                                    rectified ? 1 : 0, bc2Sqrt, eps, rect)
                }
                s.putFloats("exp_avg", m, shape: p.shape)
                s.putFloats("exp_avg_sq", v, shape: p.shape)
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
