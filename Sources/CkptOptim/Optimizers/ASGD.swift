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
public final class ASGD: TorchOptimizer {
    override public class var optimizerName: String { "ASGD" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-2, "lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0, "foreach": nil,
         "maximize": false, "differentiable": false, "capturable": false]
    }

    /// `ASGD(params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, lambd: Double? = nil, alpha: Double? = nil,
        t0: Double? = nil, weightDecay: Double? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "lambd": .number(lambd), "alpha": .number(alpha), "t0": .number(t0),
                               "weight_decay": .number(weightDecay), "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr", "lambd", "alpha", "weight_decay")
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), lambd = try number(group, "lambd")
            let alpha = try number(group, "alpha"), t0 = try number(group, "t0")
            let wd = try number(group, "weight_decay")
            let flags = try kernelFlags(group, weightDecay: wd)
            let initial = { p in ["step": .tensor(.scalar(0)), "eta": .tensor(.scalar(Float(lr))),
                                  "mu": .tensor(.scalar(1)), "ax": Self.zerosState(p)] as StateDict }
            try forEachParameter(in: group, initial: initial, buffers: ["ax"]) { p, grad, s in
                let step = Double(s.incrementStep())
                let eta = Double(Self.scalarState(s, "eta", default: Float(lr)))
                let mu = Self.scalarState(s, "mu", default: 1)
                let decay = Float(1 - lambd * eta), negEta = Float(-eta)
                runKernel(p, grad, &s, ["ax"]) { k in
                    ckpt_asgd_step(k.x, k.g, k.a, k.count, flags, Float(wd), decay, negEta, mu)
                }
                s["eta"] = .tensor(.scalar(Float(lr / pow(1 + lambd * lr * step, alpha))))
                s["mu"] = .tensor(.scalar(Float(1 / Swift.max(1, step - t0))))
            }
        }
        try super.step()
    }
}
