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
public final class Rprop: TorchOptimizer {
    override public class var optimizerName: String { "Rprop" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-2, "etas": .tuple([0.5, 1.2]), "step_sizes": .tuple([1e-6, 50]), "foreach": nil,
         "maximize": false, "differentiable": false, "capturable": false]
    }

    /// `Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, etas: (Double, Double)? = nil,
        stepSizes: (Double, Double)? = nil, maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "etas": .pair(etas), "step_sizes": .pair(stepSizes),
                               "maximize": .flag(maximize)])
    }

    override class func checkOptions(_ o: StateDict) throws {
        try requireNonNegative(o, keys: "lr")
        if let etas = o["etas"]?.arrayValue, etas.count == 2,
           let minus = etas[0].doubleValue, let plus = etas[1].doubleValue,
           !(0.0 < minus && minus < 1.0 && 1.0 < plus) {
            throw OptimizerError(.invalidValue, "Invalid eta values: \(pyRepr(etas[0])), \(pyRepr(etas[1]))", key: "etas")
        }
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr")
            let (etaMinus, etaPlus) = try pair(group, "etas"), (lo, hi) = try pair(group, "step_sizes")
            let flags = try kernelFlags(group)
            let initial = { p in
                ["step": .tensor(.scalar(0)), "prev": Self.zerosState(p),
                 "step_size": .tensor(TensorData(shape: p.shape, storage: .float32([Float](repeating: Float(lr), count: p.value.count))))]
                    as StateDict
            }
            try forEachParameter(in: group, initial: initial, buffers: ["prev", "step_size"]) { p, grad, s in
                _ = s.incrementStep()
                runKernel(p, grad, &s, ["prev", "step_size"]) { k in
                    ckpt_rprop_step(k.x, k.g, k.a, k.b, k.count, flags, Float(etaMinus), Float(etaPlus), Float(lo), Float(hi))
                }
            }
        }
        try super.step()
    }
}
