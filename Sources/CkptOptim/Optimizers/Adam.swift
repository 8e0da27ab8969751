#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import CkptCore

/// `torch.optim.Adam` (torch 2.15): betas, eps, L2 or decoupled weight decay, amsgrad, maximize.
///
/// Follows PyTorch's CPU single-tensor path operation by operation: the float32 `step` is
/// incremented first, bias corrections and the step size are computed in double with the C
/// `pow` and rounded once, `m.lerp_(g, 1-beta1)` and `v.mul_(b2).addcmul_(g, g, 1-b2)` use
/// fused multiply-adds, `addcdiv_` multiplies before dividing. Within 4 ulp of PyTorch: its
/// MKL `sqrt` is not correctly rounded, ours is.
/// State per parameter with a gradient, created on its first step: `step` (0-d float32),
/// `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad (shaped like the parameter).
public class Adam: Optimizer, ConfigurableOptimizer {
    public class var optimizerName: String { "Adam" }
    public class var defaultOptions: StateDict {
        ["lr": 1e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0,
         "amsgrad": false, "maximize": false, "foreach": nil, "capturable": false,
         "differentiable": false, "fused": nil, "decoupled_weight_decay": false]
    }
    override public var typeName: String { Self.optimizerName }

    /// `Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False)`.
    /// An argument left nil keeps PyTorch's default with its Python type.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, amsgrad: Bool? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "betas": betas.map { .tuple([.double($0.0), .double($0.1)]) },
            "eps": eps.map(StateValue.double),
            "weight_decay": weightDecay.map(StateValue.double),
            "amsgrad": amsgrad.map(StateValue.bool),
            "maximize": maximize.map(StateValue.bool),
        ]))
    }

    public required init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options, defaults: Self.defaultOptions, type: Self.optimizerName,
                       validate: Self.validate)
    }

    public class func validate(_ o: StateDict) throws {
        try requireNonNegative(o, "lr", "learning rate")
        try requireNonNegative(o, "eps", "epsilon value")
        let betas = o["betas"]?.arrayValue ?? []
        for (i, b) in betas.enumerated() {
            if let d = b.doubleValue, !(d >= 0 && d < 1) {
                throw OptimizerError(.invalidValue, "Invalid beta parameter at index \(i): \(pyRepr(b))", key: "betas")
            }
        }
        try requireNonNegative(o, "weight_decay", "weight_decay value")
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), eps = try number(group, "eps")
            let wd = try number(group, "weight_decay")
            guard let betas = group["betas"]?.arrayValue, betas.count == 2,
                  let beta1 = betas[0].doubleValue, let beta2 = betas[1].doubleValue else {
                throw OptimizerError(.invalidType, "\(typeName): param group 'betas' must be a pair of numbers")
            }
            let amsgrad = try flag(group, "amsgrad")
            var flags: Int32 = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wd != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            if try flag(group, "decoupled_weight_decay") { flags |= Int32(CKPT_OPT_DECOUPLED) }
            if amsgrad { flags |= Int32(CKPT_OPT_AMSGRAD) }
            for p in group.params {
                guard let g = try checkedGrad(p) else { continue }
                let n = g.count
                var s = takeState(p) ?? [:]
                if s.isEmpty {
                    let zeros = TensorData(shape: p.shape, storage: .float32([Float](repeating: 0, count: n)))
                    s = ["step": .tensor(.scalar(0)), "exp_avg": .tensor(zeros), "exp_avg_sq": .tensor(zeros)]
                    if amsgrad { s["max_exp_avg_sq"] = .tensor(zeros) }
                }
                let stepT = s.stepValue() + 1                 // step_t += 1 (a float32 tensor)
                s["step"] = .tensor(.scalar(stepT))
                let step = Double(stepT)
                let bc1 = 1 - pow(beta1, step), bc2 = 1 - pow(beta2, step)
                let stepSize = lr / bc1, bc2Sqrt = pow(bc2, 0.5)
                var m = s.takeFloats("exp_avg") ?? [], v = s.takeFloats("exp_avg_sq") ?? []
                var vmax = amsgrad ? (s.takeFloats("max_exp_avg_sq") ?? [Float](repeating: 0, count: n)) : []
                guard m.count == n, v.count == n, !amsgrad || vmax.count == n else {
                    putState(s, for: p)
                    throw OptimizerError(.invalidValue, "\(typeName): state of '\(p.name)' does not have its \(n) elements")
                }
                withKernelPointers(p, g, &m, &v, &vmax) { pp, gp, mp, vp, xp in
                    forEachKernelChunk(n) { i, c in
                        ckpt_adam_step(pp + i, gp + i, mp.map { $0 + i }, vp.map { $0 + i }, xp.map { $0 + i },
                                       c, flags, Float(wd), Float(1 - lr * wd), Float(1 - beta1), Float(beta2),
                                       Float(1 - beta2), Float(bc2Sqrt), Float(eps), Float(-stepSize))
                    }
                }
                s.putFloats("exp_avg", m, shape: p.shape)
                s.putFloats("exp_avg_sq", v, shape: p.shape)
                if amsgrad { s.putFloats("max_exp_avg_sq", vmax, shape: p.shape) }
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
