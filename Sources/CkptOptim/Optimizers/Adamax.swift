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
public final class Adamax: TorchOptimizer {
    override public class var optimizerName: String { "Adamax" }
    override public class var defaultOptions: StateDict {
        ["lr": 2e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0,
         "foreach": nil, "maximize": false, "differentiable": false, "capturable": false]
    }

    /// `Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "betas": .pair(betas), "eps": .number(eps),
                               "weight_decay": .number(weightDecay), "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr", "eps", "betas", "weight_decay")
    }

    override public func step() throws {
        for group in paramGroups {
            let (lr, eps, wd, beta1, beta2, flags) = try adamHyperparameters(group)
            let buffers = ["exp_avg", "exp_inf"]
            let initial = Self.stepAndZeros(buffers)
            try forEachParameter(in: group, initial: initial, buffers: buffers) { p, grad, s in
                let negClr = Float(-(lr / (1 - pow(beta1, Double(s.incrementStep())))))
                runKernel(p, grad, &s, buffers) { k in
                    ckpt_adamax_step(k.x, k.g, k.a, k.b, k.count, flags, Float(wd), Float(1 - beta1),
                                     Float(beta2), Float(eps), negClr)
                }
            }
        }
        try super.step()
    }
}
