import CKernels
import CkptCore

/// `torch.optim.SGD` (torch 2.15): momentum, dampening, Nesterov, L2 weight decay, maximize.
///
/// Bit-identical to PyTorch's CPU single-tensor path: `grad.add(p, alpha=wd)`,
/// `buf.mul_(m).add_(g, alpha=1-d)` and `p.add_(g, alpha=-lr)` are fused multiply-adds.
/// State: `momentum_buffer` (shaped like the parameter) only when `momentum != 0`, created on
/// the first step with a gradient as a copy of the (decayed, negated) gradient. No `step`.
public final class SGD: TorchOptimizer {
    override public class var optimizerName: String { "SGD" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": false,
         "maximize": false, "foreach": nil, "differentiable": false, "fused": nil]
    }

    /// `SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)`.
    /// An argument left nil keeps PyTorch's default with its Python type (`momentum` the int 0).
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, momentum: Double? = nil, dampening: Double? = nil,
        weightDecay: Double? = nil, nesterov: Bool? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "momentum": .number(momentum), "dampening": .number(dampening),
                               "weight_decay": .number(weightDecay), "nesterov": .flag(nesterov), "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr", "momentum", "weight_decay")
        if o["nesterov"]?.boolValue == true,
           (o["momentum"]?.doubleValue ?? 0) <= 0 || (o["dampening"]?.doubleValue ?? 0) != 0 {
            throw OptimizerError(.invalidValue, "Nesterov momentum requires a momentum and zero dampening", key: "nesterov")
        }
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), momentum = try number(group, "momentum")
            let dampening = try number(group, "dampening"), wd = try number(group, "weight_decay")
            var flags = try kernelFlags(group, weightDecay: wd)
            if momentum != 0 { flags |= Int32(CKPT_OPT_MOMENTUM) }
            if try flag(group, "nesterov") { flags |= Int32(CKPT_OPT_NESTEROV) }
            let update = { (p: Parameter, grad: [Float], s: inout StateDict, f: Int32, buffers: [String]) in
                self.runKernel(p, grad, &s, buffers) { k in
                    ckpt_sgd_step(k.x, k.g, k.a, k.count, f, Float(wd), Float(momentum), Float(1 - dampening), Float(-lr))
                }
            }
            if momentum == 0 {                 // no state at all, as PyTorch keeps none
                for p in group.params {
                    guard let grad = try checkedGrad(p) else { continue }
                    var none = StateDict()
                    update(p, grad, &none, flags, [])
                }
                continue
            }
            try forEachParameter(in: group, initial: { _ in [:] }) { p, grad, s in
                var f = flags
                if s["momentum_buffer"]?.tensorValue == nil {   // first step: the buffer is a copy of g
                    f |= Int32(CKPT_OPT_FIRST)
                    s["momentum_buffer"] = Self.zerosState(p)
                }
                try requireBuffers(s, ["momentum_buffer"], count: grad.count, for: p)
                update(p, grad, &s, f, ["momentum_buffer"])
            }
        }
        try super.step()
    }
}
