import CKernels
import CkptCore

/// `torch.optim.RMSprop` (torch 2.15): alpha, eps (added outside the square root),
/// L2 weight decay, momentum, centered, maximize.
///
/// Follows PyTorch's CPU single-tensor path; within 4 ulp (PyTorch's MKL `sqrt`).
/// State per parameter with a gradient, created on its first step: `step` (0-d float32,
/// unused by the math), `square_avg`, `momentum_buffer` when momentum > 0, `grad_avg` when centered.
public final class RMSprop: TorchOptimizer {
    override public class var optimizerName: String { "RMSprop" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-2, "momentum": 0, "alpha": 0.99, "eps": 1e-8, "centered": false,
         "weight_decay": 0, "capturable": false, "foreach": nil, "maximize": false,
         "differentiable": false]
    }

    /// `RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, alpha: Double? = nil, eps: Double? = nil,
        weightDecay: Double? = nil, momentum: Double? = nil, centered: Bool? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "alpha": .number(alpha), "eps": .number(eps),
                               "weight_decay": .number(weightDecay), "momentum": .number(momentum),
                               "centered": .flag(centered), "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr", "eps", "momentum", "weight_decay", "alpha")
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), alpha = try number(group, "alpha")
            let eps = try number(group, "eps"), wd = try number(group, "weight_decay")
            let momentum = try number(group, "momentum"), centered = try flag(group, "centered")
            var flags = try kernelFlags(group, weightDecay: wd)
            if momentum > 0 { flags |= Int32(CKPT_OPT_MOMENTUM) }
            if centered { flags |= Int32(CKPT_OPT_CENTERED) }
            // State keys in PyTorch's creation order; the kernel takes square_avg, grad_avg, momentum_buffer.
            let optional = (momentum > 0 ? ["momentum_buffer"] : []) + (centered ? ["grad_avg"] : [])
            let initial = { p in
                var s: StateDict = ["step": .tensor(.scalar(0)), "square_avg": Self.zerosState(p)]
                for key in optional { s[key] = Self.zerosState(p) }
                return s
            }
            let buffers = ["square_avg"] + optional
            // The kernel's grad_avg and momentum_buffer slots are fixed: nil where unused.
            let slots = ["square_avg", centered ? "grad_avg" : "", momentum > 0 ? "momentum_buffer" : ""]
            try forEachParameter(in: group, initial: initial, buffers: buffers, zeroFilled: optional) { p, grad, s in
                _ = s.incrementStep()
                runKernel(p, grad, &s, slots) { k in
                    ckpt_rmsprop_step(k.x, k.g, k.a, k.b, k.c, k.count, flags, Float(wd), Float(alpha), Float(1 - alpha),
                                      Float(eps), Float(momentum), Float(-lr))
                }
            }
        }
        try super.step()
    }
}
