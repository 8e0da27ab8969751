import CkptCore

/// The base of ckpt's built-in optimizers, one subclass per `torch.optim` class.
///
/// A subclass states only what is its own: `optimizerName` (PyTorch's class name),
/// `defaultOptions` (every constructor keyword with its torch 2.15 default, in PyTorch's key
/// order), `checkOptions` (its constructor's checks, in PyTorch's order, with PyTorch's
/// messages) and `step()`. The constructor is PyTorch's: keyword arguments merged into the
/// defaults (an unknown one is Python's TypeError), the merged set checked by `validate`,
/// then the groups added, each group's own keys overriding.
public class TorchOptimizer: Optimizer, ConfigurableOptimizer {
    public class var optimizerName: String { "Optimizer" }
    public class var defaultOptions: StateDict { [:] }
    override public var typeName: String { Self.optimizerName }

    /// The subclass's constructor checks, then the refusal of the paths ckpt does not run
    /// (`fused`, `capturable`, `differentiable`; keys a class without them never holds).
    public class func validate(_ o: StateDict) throws {
        try checkOptions(o)
        try requireSingleTensorPath(o, type: optimizerName)
    }

    /// PyTorch's checks in the subclass's `__init__`; nothing by default.
    class func checkOptions(_ o: StateDict) throws {}

    public required init(groups: [ParamGroup], options: StateDict = [:]) throws {
        try super.init(groups: groups, options: options, defaults: Self.defaultOptions, type: Self.optimizerName,
                       validate: Self.validate)
    }

    /// One group of `params` with the keyword arguments a convenience initialiser was given;
    /// nil arguments are left out so PyTorch's defaults (with their Python types) apply.
    convenience init(_ params: [Parameter], _ arguments: KeyValuePairs<String, StateValue?>) throws {
        try self.init(groups: [ParamGroup(params: params, options: [:])], options: .given(arguments))
    }
}

/// Keyword arguments of the convenience initialisers: nil stays nil (PyTorch's default).
extension StateValue {
    static func number(_ d: Double?) -> StateValue? { d.map(StateValue.double) }
    static func integer(_ i: Int?) -> StateValue? { i.map { .int(Int64($0)) } }
    static func flag(_ b: Bool?) -> StateValue? { b.map(StateValue.bool) }
    static func pair(_ p: (Double, Double)?) -> StateValue? { p.map { .tuple([.double($0.0), .double($0.1)]) } }
}
