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
public final class NAdam: TorchOptimizer {
    override public class var optimizerName: String { "NAdam" }
    override public class var defaultOptions: StateDict {
        ["lr": 2e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0,
         "momentum_decay": 4e-3, "decoupled_weight_decay": false, "maximize": false,
         "foreach": nil, "capturable": false, "differentiable": false]
    }

    /// `NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    /// momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, momentumDecay: Double? = nil, decoupledWeightDecay: Bool? = nil,
        maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "betas": .pair(betas), "eps": .number(eps),
                               "weight_decay": .number(weightDecay), "momentum_decay": .number(momentumDecay),
                               "decoupled_weight_decay": .flag(decoupledWeightDecay), "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr", "eps", "betas", "weight_decay", "momentum_decay")
    }

    override public func step() throws {
        for group in paramGroups {
            let (lr, eps, wd, beta1, beta2, flags) = try adamHyperparameters(group)
            let momentumDecay = try number(group, "momentum_decay")
            let initial = { p in ["step": .tensor(.scalar(0)), "mu_product": .tensor(.scalar(1)),
                                  "exp_avg": Self.zerosState(p), "exp_avg_sq": Self.zerosState(p)] as StateDict }
            try forEachParameter(in: group, initial: initial, buffers: ["exp_avg", "exp_avg_sq"]) { p, grad, s in
                let step = Double(s.incrementStep())
                let bc2 = Float(1 - pow(beta2, step))
                let mu = beta1 * (1.0 - 0.5 * pow(0.96, step * momentumDecay))
                let muNext = beta1 * (1.0 - 0.5 * pow(0.96, (step + 1) * momentumDecay))
                let muProduct = Self.scalarState(s, "mu_product", default: 1) * Float(mu)
                s["mu_product"] = .tensor(.scalar(muProduct))
                let muProductNext = Double(muProduct) * muNext
                let gradScale = Float(-lr * (1.0 - mu) / (1.0 - Double(muProduct)))
                let avgScale = Float((-lr * muNext) / (1.0 - muProductNext))
                runKernel(p, grad, &s, ["exp_avg", "exp_avg_sq"]) { k in
                    ckpt_nadam_step(k.x, k.g, k.a, k.b, k.count, flags, Float(wd), Float(1 - lr * wd),
                                    Float(1 - beta1), Float(beta2), Float(1 - beta2), bc2, Float(eps), gradScale, avgScale)
                }
            }
        }
        try super.step()
    }
}
