import CKernels
import CkptCore

/// `torch.optim.SGD` (torch 2.15): momentum, dampening, Nesterov, L2 weight decay, maximize.
///
/// Bit-identical to PyTorch's CPU single-tensor path: `grad.add(p, alpha=wd)`,
/// `buf.mul_(m).add_(g, alpha=1-d)` and `p.add_(g, alpha=-lr)` are fused multiply-adds.
/// State: `momentum_buffer` (shaped like the parameter) only when `momentum != 0`, created on
/// the first step with a gradient as a copy of the (decayed, negated) gradient. No `step`.
public final class SGD: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "SGD"
    public static var defaultOptions: StateDict {
        ["lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": false,
         "maximize": false, "foreach": nil, "differentiable": false, "fused": nil]
    }
    override public var typeName: String { Self.optimizerName }

    /// `SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False)`.
    /// An argument left nil keeps PyTorch's default with its Python type (`momentum` the int 0).
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, momentum: Double? = nil, dampening: Double? = nil,
        weightDecay: Double? = nil, nesterov: Bool? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "momentum": momentum.map(StateValue.double),
            "dampening": dampening.map(StateValue.double),
            "weight_decay": weightDecay.map(StateValue.double),
            "nesterov": nesterov.map(StateValue.bool),
            "maximize": maximize.map(StateValue.bool),
        ]))
    }

    public init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options, defaults: Self.defaultOptions, type: Self.optimizerName,
                       validate: Self.validate)
    }

    public static func validate(_ o: StateDict) throws {
        try requireNonNegative(o, "lr", "learning rate")
        try requireNonNegative(o, "momentum", "momentum value")
        try requireNonNegative(o, "weight_decay", "weight_decay value")
        if o["nesterov"]?.boolValue == true,
           (o["momentum"]?.doubleValue ?? 0) <= 0 || (o["dampening"]?.doubleValue ?? 0) != 0 {
            throw OptimizerError(.invalidValue, "Nesterov momentum requires a momentum and zero dampening", key: "nesterov")
        }
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), momentum = try number(group, "momentum")
            let dampening = try number(group, "dampening"), wd = try number(group, "weight_decay")
            var flags: Int32 = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wd != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            if momentum != 0 { flags |= Int32(CKPT_OPT_MOMENTUM) }
            if try flag(group, "nesterov") { flags |= Int32(CKPT_OPT_NESTEROV) }
            for p in group.params {
                guard let g = try checkedGrad(p) else { continue }
                var none: [Float] = [], none2: [Float] = [], none3: [Float] = []
                if momentum == 0 {
                    withKernelPointers(p, g, &none, &none2, &none3) { pp, gp, _, _, _ in
                        forEachKernelChunk(g.count) { i, c in
                            ckpt_sgd_step(pp + i, gp + i, nil, c, flags, Float(wd), 0, 0, Float(-lr))
                        }
                    }
                    continue
                }
                var s = takeState(p) ?? StateDict()
                var buf = s.takeFloats("momentum_buffer") ?? []
                var f = flags
                if buf.isEmpty {
                    f |= Int32(CKPT_OPT_FIRST)
                    buf = [Float](repeating: 0, count: g.count)
                } else if buf.count != g.count {
                    putState(s, for: p)
                    throw OptimizerError(.invalidValue, "SGD: momentum_buffer of '\(p.name)' has \(buf.count) elements, parameter has \(g.count)")
                }
                withKernelPointers(p, g, &buf, &none, &none2) { pp, gp, bp, _, _ in
                    forEachKernelChunk(g.count) { i, c in
                        ckpt_sgd_step(pp + i, gp + i, bp.map { $0 + i }, c, f, Float(wd), Float(momentum),
                                      Float(1 - dampening), Float(-lr))
                    }
                }
                s.putFloats("momentum_buffer", buf, shape: p.shape)
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
