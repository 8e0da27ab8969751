import CkptCore

/// `torch.optim.SparseAdam` (torch 2.15): its constructor, checks, param groups and state
/// dict, so checkpoints that hold it load and save unchanged. ckpt has no sparse gradients,
/// and PyTorch's SparseAdam refuses dense ones, so `step()` with any gradient throws
/// PyTorch's `RuntimeError` message.
/// State (written by PyTorch only): `step` (a Python int, kept as an int on load),
/// `exp_avg`, `exp_avg_sq`.
public final class SparseAdam: TorchOptimizer {
    override public class var optimizerName: String { "SparseAdam" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-3, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "maximize": false]
    }

    /// `SparseAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False)`.
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, betas: (Double, Double)? = nil, eps: Double? = nil,
        maximize: Bool? = nil
    ) throws {
        try self.init(params, ["lr": .number(lr), "betas": .pair(betas), "eps": .number(eps), "maximize": .flag(maximize)])
    }

    /// PyTorch's checks: lr and eps strictly positive, betas in [0, 1).
    override class func checkOptions(_ o: StateDict) throws {
        if let v = o["lr"], let d = v.doubleValue, !(0 < d) {
            throw OptimizerError(.invalidValue, "Invalid learning rate: \(pyRepr(v))", key: "lr")
        }
        if let v = o["eps"], let d = v.doubleValue, !(0 < d) {
            throw OptimizerError(.invalidValue, "Invalid epsilon value: \(pyRepr(v))", key: "eps")
        }
        try requireBetas(o)
    }

    /// Throws PyTorch's error as soon as a parameter has a (dense) gradient; without any
    /// gradient it does nothing, as PyTorch's.
    override public func step() throws {
        for group in paramGroups where group.params.contains(where: { $0.grad != nil }) {
            throw OptimizerError(.invalidValue,
                "SparseAdam does not support dense gradients, please consider Adam instead")
        }
        try super.step()
    }
}
