import CKernels
import CkptCore

/// `torch.optim.Rprop` (torch 2.15): resilient backpropagation with etas, step_sizes, maximize.
///
/// PyTorch's CPU single-tensor path, bit-identical: `sign = sign(g * prev)` (a float32
/// product, so an underflow counts as 0), replaced by etaplus / etaminus / 1;
/// `step_size = clamp(step_size * sign, min, max)`; the gradient is zeroed where the sign
/// flipped; `p.addcmul_(sign(g), step_size, value=-1)`; `prev = g`.
/// State per parameter with a gradient, created on its first step: `step` (0-d float32,
/// unused by the math), `prev` (zeros), `step_size` (filled with the group's lr).
public final class Rprop: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "Rprop"
    public static var defaultOptions: StateDict {
        ["lr": 1e-2, "etas": .tuple([0.5, 1.2]), "step_sizes": .tuple([1e-6, 50]), "foreach": nil,
         "maximize": false, "differentiable": false, "capturable": false]
    }
    override public var typeName: String { Self.optimizerName }

    /// `Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, etas: (Double, Double)? = nil,
        stepSizes: (Double, Double)? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "etas": etas.map { .tuple([.double($0.0), .double($0.1)]) },
            "step_sizes": stepSizes.map { .tuple([.double($0.0), .double($0.1)]) },
            "maximize": maximize.map(StateValue.bool),
        ]))
    }

    public init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options, defaults: Self.defaultOptions, type: Self.optimizerName,
                       validate: Self.validate)
    }

    public static func validate(_ o: StateDict) throws {
        try requireNonNegative(o, "lr", "learning rate")
        if let etas = o["etas"]?.arrayValue, etas.count == 2,
           let minus = etas[0].doubleValue, let plus = etas[1].doubleValue,
           !(0.0 < minus && minus < 1.0 && 1.0 < plus) {
            throw OptimizerError(.invalidValue, "Invalid eta values: \(pyRepr(etas[0])), \(pyRepr(etas[1]))", key: "etas")
        }
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr")
            let (minusD, plusD) = try pair(group, "etas"), (loD, hiD) = try pair(group, "step_sizes")
            let etaMinus = Float(minusD), etaPlus = Float(plusD), lo = Float(loD), hi = Float(hiD)
            var flags = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            for p in group.params {
                guard let grad = try checkedGrad(p) else { continue }
                let n = grad.count
                var s = takeState(p) ?? ["step": .tensor(.scalar(0)), "prev": Self.zerosState(p),
                                         "step_size": .tensor(TensorData(shape: p.shape, storage:
                                            .float32([Float](repeating: Float(lr), count: n))))]
                try requireBuffers(s, ["prev", "step_size"], count: n, for: p)
                s["step"] = .tensor(.scalar(s.stepValue() + 1))
                var prev = s.takeFloats("prev")!, stepSize = s.takeFloats("step_size")!, none: [Float] = []
                withKernelPointers(p, grad, &prev, &stepSize, &none) { x, g, pp, sp, _ in
                    ckpt_rprop_step(x, g, pp, sp, n, flags, etaMinus, etaPlus, lo, hi)
                }
                s.putFloats("prev", prev, shape: p.shape)
                s.putFloats("step_size", stepSize, shape: p.shape)
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
