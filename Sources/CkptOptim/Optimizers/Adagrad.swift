import CKernels
import CkptCore

/// `torch.optim.Adagrad` (torch 2.15, dense gradients): lr_decay, L2 weight decay,
/// initial_accumulator_value, eps (added outside the square root), maximize.
///
/// Unlike the other optimizers, its state is created eagerly in the constructor for every
/// parameter: `step` (0-d float32) and `sum` filled with `initial_accumulator_value`.
/// `clr = lr / (1 + (step-1)*lr_decay)` in double. Within 4 ulp (PyTorch's MKL `sqrt`).
public final class Adagrad: TorchOptimizer {
    override public class var optimizerName: String { "Adagrad" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-2, "lr_decay": 0, "eps": 1e-10, "weight_decay": 0,
         "initial_accumulator_value": 0, "foreach": nil, "maximize": false,
         "differentiable": false, "fused": nil]
    }

    /// `Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, lrDecay: Double? = nil, weightDecay: Double? = nil,
        initialAccumulatorValue: Double? = nil, eps: Double? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "lr_decay": .number(lrDecay), "weight_decay": .number(weightDecay),
                               "initial_accumulator_value": .number(initialAccumulatorValue), "eps": .number(eps),
                               "maximize": .flag(maximize)])
    }

    public required init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options)
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

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), lrDecay = try number(group, "lr_decay")
            let eps = try number(group, "eps"), wd = try number(group, "weight_decay")
            let flags = try kernelFlags(group, weightDecay: wd)
            // A parameter added after construction gets its state here (PyTorch would fail).
            let iav = try number(group, "initial_accumulator_value")
            try forEachParameter(in: group, initial: { Self.initialState($0, iav) }, buffers: ["sum"]) { p, grad, s in
                let clr = lr / (1 + (Double(s.incrementStep()) - 1) * lrDecay)
                runKernel(p, grad, &s, ["sum"]) { k in
                    ckpt_adagrad_step(k.x, k.g, k.a, k.count, flags, Float(wd), Float(eps), Float(-clr))
                }
            }
        }
        try super.step()
    }
}
