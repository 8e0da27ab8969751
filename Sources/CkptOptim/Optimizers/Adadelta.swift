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
public final class Adadelta: TorchOptimizer {
    override public class var optimizerName: String { "Adadelta" }
    override public class var defaultOptions: StateDict {
        ["lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0, "maximize": false,
         "capturable": false, "foreach": nil, "differentiable": false]
    }

    /// `Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, rho: Double? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "rho": .number(rho), "eps": .number(eps),
                               "weight_decay": .number(weightDecay), "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr")
        if let v = o["rho"], let d = v.doubleValue, !(d >= 0 && d <= 1) {
            throw OptimizerError(.invalidValue, "Invalid rho value: \(pyRepr(v))", key: "rho")
        }
        try requireNonNegative(o, keys: "eps", "weight_decay")
    }

    override public func step() throws {
        for group in paramGroups {
            let negLr = Float(-(try number(group, "lr"))), eps = Float(try number(group, "eps"))
            let wd = try number(group, "weight_decay"), rho = try number(group, "rho")
            let flags = try kernelFlags(group, weightDecay: wd)
            let buffers = ["square_avg", "acc_delta"]
            let initial = Self.stepAndZeros(buffers)
            try forEachParameter(in: group, initial: initial, buffers: buffers) { p, grad, s in
                _ = s.incrementStep()
                runKernel(p, grad, &s, ["square_avg", "acc_delta"]) { k in
                    ckpt_adadelta_step(k.x, k.g, k.a, k.b, k.count, flags, Float(wd), Float(rho), Float(1 - rho), eps, negLr)
                }
            }
        }
        try super.step()
    }
}
