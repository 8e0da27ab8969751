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
public class Adam: TorchOptimizer {
    override public class var optimizerName: String { "Adam" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0,
         "amsgrad": false, "maximize": false, "foreach": nil, "capturable": false,
         "differentiable": false, "fused": nil, "decoupled_weight_decay": false]
    }

    /// `Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False)`.
    /// An argument left nil keeps PyTorch's default with its Python type.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, amsgrad: Bool? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "betas": .pair(betas), "eps": .number(eps),
                               "weight_decay": .number(weightDecay), "amsgrad": .flag(amsgrad), "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr", "eps", "betas", "weight_decay")
    }

    override public func step() throws {
        for group in paramGroups {
            let (lr, eps, wd, beta1, beta2, groupFlags) = try adamHyperparameters(group)
            let amsgrad = try flag(group, "amsgrad")
            var flags = groupFlags
            if amsgrad { flags |= Int32(CKPT_OPT_AMSGRAD) }
            let buffers = ["exp_avg", "exp_avg_sq"] + (amsgrad ? ["max_exp_avg_sq"] : [])
            let initial = { p in
                var s: StateDict = ["step": .tensor(.scalar(0))]
                for key in buffers { s[key] = Self.zerosState(p) }
                return s
            }
            try forEachParameter(in: group, initial: initial, buffers: buffers,
                                 zeroFilled: amsgrad ? ["max_exp_avg_sq"] : []) { p, grad, s in
                let step = Double(s.incrementStep())           // step_t += 1 (a float32 tensor)
                let bc1 = 1 - pow(beta1, step), bc2 = 1 - pow(beta2, step)
                let stepSize = lr / bc1, bc2Sqrt = pow(bc2, 0.5)
                runKernel(p, grad, &s, buffers) { k in
                    ckpt_adam_step(k.x, k.g, k.a, k.b, k.c, k.count, flags, Float(wd), Float(1 - lr * wd),
                                   Float(1 - beta1), Float(beta2), Float(1 - beta2), Float(bc2Sqrt), Float(eps),
                                   Float(-stepSize))
                }
            }
        }
        try super.step()
    }
}
