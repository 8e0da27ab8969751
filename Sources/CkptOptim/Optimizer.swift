import CkptCore

/// One parameter group of an optimizer, as an entry of PyTorch's `optimizer.param_groups`.
///
/// `options` holds every key except `params`, in PyTorch's key order, with Python's types
/// (`momentum` may be the int 0, `betas` a tuple, `foreach` None). Schedulers read and write
/// `lr` (and `initial_lr`, `momentum`, `betas`, ...) through the subscript, as PyTorch's
/// schedulers write `group["lr"]`.
public struct ParamGroup {
    public var params: [Parameter]
    public var options: StateDict

    public init(params: [Parameter], options: StateDict) {
        self.params = params
        self.options = options
    }

    public subscript(key: String) -> StateValue? {
        get { options[key] }
        set { options[key] = newValue }
    }

    /// `group["lr"]` as a double (PyTorch's lr is a Python float).
    public var lr: Double {
        get { options["lr"]?.doubleValue ?? 0 }
        set { options["lr"] = .double(newValue) }
    }
}

/// The base of every optimizer, mirroring `torch.optim.Optimizer`.
///
/// Subclasses implement `step()`. `stepCalls` counts `step()` calls so schedulers can warn,
/// as PyTorch does, when `scheduler.step()` runs before the first `optimizer.step()`.
open class Optimizer {
    public var paramGroups: [ParamGroup]
    /// Per-parameter state keyed by the parameter's identity, values as PyTorch names them
    /// (`momentum_buffer`, `exp_avg`, `step`, ...).
    public var state: [ObjectIdentifier: StateDict] = [:]
    /// Number of completed `step()` calls.
    public var stepCalls: Int = 0

    public init(paramGroups: [ParamGroup]) {
        self.paramGroups = paramGroups
    }

    /// PyTorch's class name ("SGD", "Adam", ...).
    open var typeName: String { "Optimizer" }

    open func step() throws {
        stepCalls += 1
    }

    /// Clears gradients; `setToNone: true` (PyTorch's default) makes them `nil`.
    public func zeroGrad(setToNone: Bool = true) {
        for group in paramGroups {
            for p in group.params {
                if setToNone {
                    p.grad = nil
                } else if p.grad != nil {
                    p.grad = Tensor(shape: p.shape)
                }
            }
        }
    }
}
