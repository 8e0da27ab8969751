#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import CkptCore

/// `torch.optim.NAdam` (torch 2.15): Adam with Nesterov momentum and momentum decay,
/// L2 or decoupled weight decay, maximize.
///
/// PyTorch's CPU single-tensor path, operation by operation: `step += 1` (float32);
/// `mu = beta1*(1 - 0.5*0.96**(step*momentum_decay))` and `mu_next` (step+1) in double;
/// `mu_product *= mu` as a float32 multiply; `exp_avg.lerp_(g, 1-beta1)`,
/// `exp_avg_sq.mul_(beta2).addcmul_(g, g, 1-beta2)`, `denom = sqrt(exp_avg_sq / bc2) + eps`,
/// then two `addcdiv_`: `-lr*(1-mu)/(1-mu_product)` times g and
/// `-lr*mu_next/(1-mu_product*mu_next)` times exp_avg, both factors in double.
/// Bit-identical except for the square root: PyTorch's MKL `sqrt` is not correctly rounded.
/// State per parameter with a gradient, created on its first step: `step` and `mu_product`
/// (0-d float32, `mu_product` starting at 1), `exp_avg`, `exp_avg_sq`.
public final class NAdam: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "NAdam"
    public static var defaultOptions: StateDict {
        ["lr": 2e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0,
         "momentum_decay": 4e-3, "decoupled_weight_decay": false, "maximize": false,
         "foreach": nil, "capturable": false, "differentiable": false]
    }
    override public var typeName: String { Self.optimizerName }

    /// `NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    /// momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, momentumDecay: Double? = nil, decoupledWeightDecay: Bool? = nil,
        maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "betas": betas.map { .tuple([.double($0.0), .double($0.1)]) },
            "eps": eps.map(StateValue.double),
            "weight_decay": weightDecay.map(StateValue.double),
            "momentum_decay": momentumDecay.map(StateValue.double),
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
        try requireNonNegative(o, "momentum_decay", "momentum_decay value")
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), eps = Float(try number(group, "eps"))
            let wdD = try number(group, "weight_decay"), wd = Float(wdD)
            let momentumDecay = try number(group, "momentum_decay")
            let decoupled = try flag(group, "decoupled_weight_decay")
            let (beta1, beta2D) = try pair(group, "betas")
            let w1 = Float(1 - beta1), beta2 = Float(beta2D), omb2 = Float(1 - beta2D)
            var flags = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wdD != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            if decoupled { flags |= Int32(CKPT_OPT_DECOUPLED) }
            let decay = Float(1 - lr * wdD)
            for p in group.params {
                guard let grad = try checkedGrad(p) else { continue }
                let n = grad.count
                var s = takeState(p) ?? ["step": .tensor(.scalar(0)), "mu_product": .tensor(.scalar(1)),
                                         "exp_avg": Self.zerosState(p), "exp_avg_sq": Self.zerosState(p)]
                try requireBuffers(s, ["exp_avg", "exp_avg_sq"], count: n, for: p)
                let stepT = s.stepValue() + 1
                s["step"] = .tensor(.scalar(stepT))
                let step = Double(stepT)
                let bc2 = Float(1 - pow(beta2D, step))
                let mu = beta1 * (1.0 - 0.5 * pow(0.96, step * momentumDecay))
                let muNext = beta1 * (1.0 - 0.5 * pow(0.96, (step + 1) * momentumDecay))
                let muProduct = Self.scalarState(s, "mu_product", default: 1) * Float(mu)
                s["mu_product"] = .tensor(.scalar(muProduct))
                let muProductNext = Double(muProduct) * muNext
                let gradScale = Float(-lr * (1.0 - mu) / (1.0 - Double(muProduct)))
                let avgScale = Float((-lr * muNext) / (1.0 - muProductNext))
                var m = s.takeFloats("exp_avg")!, v = s.takeFloats("exp_avg_sq")!, none: [Float] = []
                withKernelPointers(p, grad, &m, &v, &none) { x, g, mp, vp, _ in
                    ckpt_nadam_step(x, g, mp, vp, n, flags, wd, decay, w1, beta2, omb2, bc2, eps, gradScale, avgScale)
                }
                s.putFloats("exp_avg", m, shape: p.shape)
                s.putFloats("exp_avg_sq", v, shape: p.shape)
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
