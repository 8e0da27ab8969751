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
public final class RAdam: TorchOptimizer {
    override public class var optimizerName: String { "RAdam" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0,
         "maximize": false, "foreach": nil, "capturable": false, "decoupled_weight_decay": false,
         "differentiable": false]
    }

    /// `RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    /// decoupled_weight_decay=False, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, decoupledWeightDecay: Bool? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "betas": .pair(betas), "eps": .number(eps),
                               "weight_decay": .number(weightDecay),
                               "decoupled_weight_decay": .flag(decoupledWeightDecay), "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr", "eps", "betas", "weight_decay")
    }

    override public func step() throws {
        for group in paramGroups {
            let (lr, eps, wd, beta1, beta2, flags) = try adamHyperparameters(group)
            let buffers = ["exp_avg", "exp_avg_sq"]
            let initial = Self.stepAndZeros(buffers)
            try forEachParameter(in: group, initial: initial, buffers: buffers) { p, grad, s in
                let step = Double(s.incrementStep())
                let bc1 = Float(1 - pow(beta1, step)), bc2 = 1 - pow(beta2, step)
                let rhoInf = 2 / (1 - beta2) - 1
                let rhoT = rhoInf - 2 * step * pow(beta2, step) / bc2
                let rectified: Int32 = rhoT > 5.0 ? 1 : 0
                // Only read when rectified (rho_t > 5 keeps the square root's argument positive).
                let rect = rectified == 1
                    ? Float(pow((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT), 0.5)) : 0
                let bc2Sqrt = Float(pow(bc2, 0.5))
                runKernel(p, grad, &s, ["exp_avg", "exp_avg_sq"]) { k in
                    ckpt_radam_step(k.x, k.g, k.a, k.b, k.count, flags, Float(wd), Float(1 - lr * wd),
                                    Float(1 - beta1), Float(beta2), Float(1 - beta2), bc1, Float(lr),
                                    rectified, bc2Sqrt, Float(eps), rect)
                }
            }
        }
        try super.step()
    }
}
