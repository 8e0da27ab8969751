import CkptCore

/// `torch.optim.AdamW` (torch 2.15): Adam with decoupled weight decay (`p *= 1 - lr*wd`
/// before the moments), `weight_decay` 1e-2 by default. As in PyTorch 2.15 it is Adam with
/// `decoupled_weight_decay=True`, forced on when a state dict is loaded.
public final class AdamW: Adam {
    override public class var optimizerName: String { "AdamW" }
    override public class var defaultOptions: StateDict {
        var d = Adam.defaultOptions
        d["weight_decay"] = 1e-2
        d["decoupled_weight_decay"] = true
        return d
    }

    public required init(groups: [ParamGroup], options: StateDict = [:]) throws {
        if options["decoupled_weight_decay"] != nil {
            throw OptimizerError(.invalidType, "AdamW.__init__() got an unexpected keyword argument 'decoupled_weight_decay'")
        }
        try super.init(groups: groups, options: options)
    }

    override public func completeLoadedGroup(_ group: inout StateDict) {
        super.completeLoadedGroup(&group)
        group["decoupled_weight_decay"] = true
    }
}
