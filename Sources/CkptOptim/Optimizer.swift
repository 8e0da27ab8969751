import CKernels
import CkptCore

/// One parameter group of an optimizer, as an entry of PyTorch's `optimizer.param_groups`.
///
/// `options` holds every key except `params`, in PyTorch's key order, with Python's types
/// (`momentum` may be the int 0, `betas` a tuple, `foreach` None). Schedulers read and write
/// `lr` (and `initial_lr`, `momentum`, `betas`, ...) through the subscript, as PyTorch's
/// schedulers write `group["lr"]`.
///
/// Groups built by `Optimizer.addParamGroup` also hold `param_names` where PyTorch puts it
/// for an optimizer built from `named_parameters()`: after the keys the caller gave, before
/// the defaults. `stateDict()` refreshes it from the parameters' names.
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
///
/// State dicts: `stateDict()` returns `["type": typeName, "state": ["<i>": [...]],
/// "param_groups": [[hyperparameters..., "params": [i...]]]]`, PyTorch's structure with our
/// `type` key first; `loadStateDict(_:)` follows PyTorch's rules (see its comment).
open class Optimizer {
    public var paramGroups: [ParamGroup]
    /// Per-parameter state keyed by the parameter's identity, values as PyTorch names them
    /// (`momentum_buffer`, `exp_avg`, `step`, ...).
    public var state: [ObjectIdentifier: StateDict] = [:]
    /// Number of completed `step()` calls.
    public var stepCalls: Int = 0
    /// PyTorch's `optimizer.defaults`: every hyperparameter with its default, in key order.
    public internal(set) var defaults: StateDict = [:]
    /// Hyperparameters without a default (PyTorch's `required`): a group must give them.
    public internal(set) var requiredKeys: [String] = []
    /// The order in which parameters first got state: PyTorch's `self.state` is a dict in
    /// insertion order, and `state_dict()["state"]` keeps it.
    var stateOrder: [ObjectIdentifier] = []
    var stateOrderSet: Set<ObjectIdentifier> = []
    /// Runs the portable `fmaf()` kernels even on an FMA CPU (tests check both give the same bits).
    var portableKernels = false
    /// Flags every kernel call gets.
    var baseKernelFlags: Int32 { portableKernels ? Int32(CKPT_OPT_PORTABLE) : 0 }

    public init(paramGroups: [ParamGroup]) {
        self.paramGroups = paramGroups
    }

    /// `torch.optim.Optimizer(params, defaults)`: no groups yet; subclasses add them with
    /// `addParamGroup` after checking their constructor arguments.
    public init(defaults: StateDict, requiredKeys: [String] = []) {
        self.paramGroups = []
        self.defaults = defaults
        self.requiredKeys = requiredKeys
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

    /// `optimizer.add_param_group({"params": params, **options})`.
    ///
    /// Key order follows PyTorch: the keys of `options` as given, then `param_names`, then
    /// the defaults `options` lacks. Throws PyTorch's `ValueError`s when a parameter is
    /// already in another group or a required hyperparameter is missing.
    public func addParamGroup(_ params: [Parameter], options: StateDict = [:]) throws {
        for key in options.keys where key == "params" || key == "param_names" {
            throw OptimizerError(.invalidValue, "param group option '\(key)' is set from the parameters, not given")
        }
        var group = options
        group["param_names"] = .list(params.map { .string($0.name) })
        for (key, value) in defaults where group[key] == nil {
            if requiredKeys.contains(key) {
                throw OptimizerError(.invalidValue,
                    "parameter group didn't specify a value of required optimization parameter \(key)")
            }
            group[key] = value
        }
        for key in requiredKeys where group[key] == nil {
            throw OptimizerError(.invalidValue,
                "parameter group didn't specify a value of required optimization parameter \(key)")
        }
        var existing = Set<ObjectIdentifier>()
        for g in paramGroups { for p in g.params { existing.insert(ObjectIdentifier(p)) } }
        if params.contains(where: { existing.contains(ObjectIdentifier($0)) }) {
            throw OptimizerError(.invalidValue, "some parameters appear in more than one parameter group")
        }
        paramGroups.append(ParamGroup(params: params, options: group))
    }

    /// Adds the constructor's groups, as `Optimizer.__init__` does: an empty parameter list
    /// is PyTorch's `ValueError("optimizer got an empty parameter list")`.
    func addInitialGroups(_ groups: [ParamGroup]) throws {
        if groups.isEmpty || (groups.count == 1 && groups[0].params.isEmpty) {
            throw OptimizerError(.invalidValue, "optimizer got an empty parameter list")
        }
        for g in groups { try addParamGroup(g.params, options: g.options) }
    }

    /// Fills group keys an older state dict lacks (PyTorch's `__setstate__`).
    open func completeLoadedGroup(_ group: inout StateDict) {
        for (key, value) in defaults where group[key] == nil { group[key] = value }
    }

    // MARK: state helpers for subclasses

    /// Removes and returns `p`'s state so its buffers are uniquely referenced while a kernel
    /// writes them; `putState` puts it back.
    func takeState(_ p: Parameter) -> StateDict? {
        state.removeValue(forKey: ObjectIdentifier(p))
    }

    func putState(_ s: StateDict, for p: Parameter) {
        let id = ObjectIdentifier(p)
        if stateOrderSet.insert(id).inserted { stateOrder.append(id) }
        state[id] = s
    }
}

// MARK: - Reading hyperparameters

extension Optimizer {
    /// A numeric hyperparameter of a group (int, float or bool, as Python accepts).
    func number(_ group: ParamGroup, _ key: String) throws -> Double {
        guard let v = group.options[key] else {
            throw OptimizerError(.invalidValue, "\(typeName): param group has no '\(key)'")
        }
        guard let d = v.doubleValue else {
            throw OptimizerError(.invalidType, "\(typeName): param group '\(key)' must be a number, found \(v.kindName)")
        }
        return d
    }

    func flag(_ group: ParamGroup, _ key: String) throws -> Bool {
        guard let v = group.options[key] else { return false }
        switch v {
        case .bool(let b): return b
        case .none: return false
        case .int(let i): return i != 0
        default:
            throw OptimizerError(.invalidType, "\(typeName): param group '\(key)' must be a bool, found \(v.kindName)")
        }
    }

    /// Checks that `p.grad` fits `p` (a mismatch is a caller's bug PyTorch reports too).
    func checkedGrad(_ p: Parameter) throws -> [Float]? {
        guard let g = p.grad else { return nil }
        guard g.count == p.value.count else {
            throw OptimizerError(.invalidValue,
                "\(typeName): gradient of '\(p.name)' has shape \(g.shape), parameter has shape \(p.shape)")
        }
        return g.storage
    }
}

/// Python's `repr` of a number, for PyTorch's error messages ("Invalid learning rate: -1").
func pyRepr(_ v: StateValue) -> String {
    switch v {
    case .int(let i): return String(i)
    case .double(let d): return pyRepr(d)
    case .bool(let b): return b ? "True" : "False"
    case .tuple(let a): return "(" + a.map(pyRepr).joined(separator: ", ") + (a.count == 1 ? ",)" : ")")
    case .list(let a): return "[" + a.map(pyRepr).joined(separator: ", ") + "]"
    case .string(let s): return "'\(s)'"
    case .none: return "None"
    default: return v.kindName
    }
}

func pyRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    var s = "\(d)"
    if let e = s.firstIndex(of: "e") {           // Swift "1e-08" / "1e+16" already match Python
        let exp = s[s.index(after: e)...]
        if !exp.hasPrefix("-") && !exp.hasPrefix("+") { s.insert("+", at: s.index(after: e)) }
    }
    return s
}

// MARK: - Float buffers inside state dicts

extension StateDict {
    /// Moves the float32 elements of tensor `key` out (the slot keeps its place in the key
    /// order), so a kernel can write them without a copy-on-write copy. Other dtypes are
    /// converted, as PyTorch casts state to the parameter's dtype.
    mutating func takeFloats(_ key: String) -> [Float]? {
        guard case .tensor(let t)? = self[key] else { return nil }
        self[key] = StateValue.none
        return t.floatArray()
    }

    mutating func putFloats(_ key: String, _ values: [Float], shape: [Int]) {
        self[key] = .tensor(TensorData(shape: shape, storage: .float32(values)))
    }

    /// The optimizer's `step` as a float (a 0-d tensor, or a number in old state dicts).
    func stepValue() -> Float {
        switch self["step"] {
        case .tensor(let t)?: return t.floatArray().first ?? 0
        case let v?: return Float(v.doubleValue ?? 0)
        case nil: return 0
        }
    }
}

extension TensorData {
    /// The elements as float32 (a no-copy share for float32 storage).
    func floatArray() -> [Float] {
        switch storage {
        case .float32(let a): return a
        case .float64(let a): return a.map { Float($0) }
        case .float16(let a): return a.map(halfToFloat)
        case .int64(let a): return a.map { Float($0) }
        case .int32(let a): return a.map { Float($0) }
        case .uint8(let a): return a.map { Float($0) }
        case .bool(let a): return a.map { $0 ? 1 : 0 }
        }
    }
}

/// IEEE binary16 bits to float (exact), without `Float16`, which Intel macOS lacks.
func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = (h & 0x8000) != 0 ? -1 : 1
    let exp = Int((h >> 10) & 0x1f), frac = Float(h & 0x3ff)
    switch exp {
    case 0: return sign * frac * 0x1p-24
    case 31: return frac == 0 ? sign * .infinity : .nan
    default: return sign * (1 + frac * 0x1p-10) * Float(sign: .plus, exponent: exp - 15, significand: 1)
    }
}

// MARK: - Kernel plumbing

/// Calls `body` with pointers to `p`'s values, the gradient and up to three state buffers
/// (nil for an empty buffer), all written in place without copies.
@inline(__always)
func withKernelPointers(
    _ p: Parameter, _ g: [Float], _ a: inout [Float], _ b: inout [Float], _ c: inout [Float],
    _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>?,
             UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
) {
    g.withUnsafeBufferPointer { gp in
        p.value.storage.withUnsafeMutableBufferPointer { pp in
            a.withUnsafeMutableBufferPointer { ap in
                b.withUnsafeMutableBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        body(pp.baseAddress!, gp.baseAddress!,
                             ap.isEmpty ? nil : ap.baseAddress, bp.isEmpty ? nil : bp.baseAddress,
                             cp.isEmpty ? nil : cp.baseAddress)
                    }
                }
            }
        }
    }
}

// MARK: - Constructor arguments

extension Optimizer {
    /// Merges constructor arguments into the defaults (keeping the defaults' key order and
    /// Python types), as keyword arguments of PyTorch's constructors. An unknown key is
    /// Python's `TypeError: SGD.__init__() got an unexpected keyword argument 'x'`.
    static func mergedDefaults(_ defaults: StateDict, _ arguments: StateDict, type: String) throws -> StateDict {
        var merged = defaults
        for (key, value) in arguments {
            guard let d = defaults[key] else {
                throw OptimizerError(.invalidType, "\(type).__init__() got an unexpected keyword argument '\(key)'")
            }
            merged[key] = try normalizedOption(key, value, like: d, type: type)
        }
        return merged
    }

    /// Checks `value` against the type of the default for `key` and converts a list `betas`
    /// to a tuple, as PyTorch stores it.
    static func normalizedOption(_ key: String, _ value: StateValue, like d: StateValue, type: String) throws -> StateValue {
        func bad(_ expected: String) -> OptimizerError {
            OptimizerError(.invalidType, "\(key): expected \(expected) for \(type), found \(value.kindName)")
        }
        switch d {
        case .int, .double:
            switch value {
            case .int, .double: return value
            default: throw bad("a number")
            }
        case .bool:
            guard case .bool = value else { throw bad("a bool") }
            return value
        case .none:   // foreach / fused: None or a bool
            switch value {
            case .none, .bool: return value
            default: throw bad("a bool or null")
            }
        case .tuple(let dt):
            guard let a = value.arrayValue, a.count == dt.count, a.allSatisfy({ $0.doubleValue != nil && $0.boolValue == nil }) else {
                throw bad("a list of \(dt.count) numbers")
            }
            return .tuple(a)
        default:
            return value
        }
    }

    /// PyTorch's `ValueError` when `o[key] < 0`: "Invalid <what>: <value>".
    static func requireNonNegative(_ o: StateDict, _ key: String, _ what: String) throws {
        if let v = o[key], let d = v.doubleValue, d < 0 || d.isNaN {
            throw OptimizerError(.invalidValue, "Invalid \(what): \(pyRepr(v))")
        }
    }

    /// ckpt runs PyTorch's single-tensor CPU path (foreach gives the same bits on CPU);
    /// the fused, capturable and differentiable paths round differently, so they are refused.
    static func requireSingleTensorPath(_ o: StateDict, type: String) throws {
        if o["fused"]?.boolValue == true && o["differentiable"]?.boolValue == true {
            throw OptimizerError(.invalidValue, "`fused` does not support `differentiable`")
        }
        if o["fused"]?.boolValue == true && o["foreach"]?.boolValue == true {
            throw OptimizerError(.invalidValue, "`fused` and `foreach` cannot be `True` together.")
        }
        for key in ["fused", "capturable", "differentiable"] where o[key]?.boolValue == true {
            throw OptimizerError(.invalidValue,
                "\(type): \(key)=True is not supported (ckpt implements PyTorch's single-tensor CPU path)")
        }
    }
}
