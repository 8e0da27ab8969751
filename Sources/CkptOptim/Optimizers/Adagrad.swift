import CKernels
import CkptCore

/// `torch.optim.Adagrad` (torch 2.15, dense gradients): lr_decay, L2 weight decay,
/// initial_accumulator_value, eps (added outside the square root), maximize.
///
/// Unlike the other optimizers, its state is created eagerly in the constructor for every
/// parameter: `step` (0-d float32) and `sum` filled with `initial_accumulator_value`.
/// `clr = lr / (1 + (step-1)*lr_decay)` in double. Within 4 ulp (PyTorch's MKL `sqrt`).
public final class Adagrad: Optimizer, ConfigurableOptimizer {
    public static let optimizerName = "Adagrad"
    public static var defaultOptions: StateDict {
        ["lr": 1e-2, "lr_decay": 0, "eps": 1e-10, "weight_decay": 0,
         "initial_accumulator_value": 0, "foreach": nil, "maximize": false,
         "differentiable": false, "fused": nil]
    }
    override public var typeName: String { Self.optimizerName }

    /// `Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, lrDecay: Double? = nil, weightDecay: Double? = nil,
        initialAccumulatorValue: Double? = nil, eps: Double? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given([
            "lr": lr.map(StateValue.double),
            "lr_decay": lrDecay.map(StateValue.double),
            "weight_decay": weightDecay.map(StateValue.double),
            "initial_accumulator_value": initialAccumulatorValue.map(StateValue.double),
            "eps": eps.map(StateValue.double),
            "maximize": maximize.map(StateValue.bool),
        ]))
    }

    public init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options, defaults: Self.defaultOptions, type: Self.optimizerName,
                       validate: Self.validate)
        for group in paramGroups {
            let iav = try number(group, "initial_accumulator_value")
            for p in group.params where state[ObjectIdentifier(p)] == nil {
                putState(Self.initialState(p, iav), for: p)
            }
        }
    }

    static func initialState(_ p: Parameter, _ iav: Double) -> StateDict {
        let sum = TensorData(shape: p.shape, storage: .float32([Float](repeating: Float(iav), count: p.value.count)))
        return ["step": .tensor(.scalar(0)), "sum": .tensor(sum)]
    }

    public static func validate(_ o: StateDict) throws {
        try requireNonNegative(o, "lr", "learning rate")
        try requireNonNegative(o, "lr_decay", "lr_decay value")
        try requireNonNegative(o, "weight_decay", "weight_decay value")
        try requireNonNegative(o, "initial_accumulator_value", "initial_accumulator_value value")
        try requireNonNegative(o, "eps", "epsilon value")
        try requireSingleTensorPath(o, type: optimizerName)
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), lrDecay = try number(group, "lr_decay")
            let eps = try number(group, "eps"), wd = try number(group, "weight_decay")
            var flags: Int32 = baseKernelFlags
            if try flag(group, "maximize") { flags |= Int32(CKPT_OPT_MAXIMIZE) }
            if wd != 0 { flags |= Int32(CKPT_OPT_WEIGHT_DECAY) }
            for p in group.params {
                guard let g = try checkedGrad(p) else { continue }
                let n = g.count
                // A parameter added after construction gets its state here (PyTorch would fail).
                let iav = try number(group, "initial_accumulator_value")
                var s = takeState(p) ?? Self.initialState(p, iav)
                let stepT = s.stepValue() + 1
                s["step"] = .tensor(.scalar(stepT))
                let clr = lr / (1 + (Double(stepT) - 1) * lrDecay)
                var sum = s.takeFloats("sum") ?? []
                guard sum.count == n else {
                    putState(s, for: p)
                    throw OptimizerError(.invalidValue, "Adagrad: state 'sum' of '\(p.name)' has \(sum.count) elements, parameter has \(n)")
                }
                var none: [Float] = [], none2: [Float] = []
                withKernelPointers(p, g, &sum, &none, &none2) { pp, gp, sp, _, _ in
                    forEachKernelChunk(n) { i, c in
                        ckpt_adagrad_step(pp + i, gp + i, sp.map { $0 + i }, c, flags, Float(wd), Float(eps), Float(-clr))
                    }
                }
                s.putFloats("sum", sum, shape: p.shape)
                putState(s, for: p)
            }
        }
        try super.step()
    }
}
