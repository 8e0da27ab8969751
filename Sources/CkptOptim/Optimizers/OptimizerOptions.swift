import CkptCore

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

// MARK: - Constructor arguments

extension StateDict {
    /// The keyword arguments a convenience initialiser was given, in its order; nil arguments
    /// are left out so PyTorch's defaults (with their Python types) apply.
    static func given(_ arguments: KeyValuePairs<String, StateValue?>) -> StateDict {
        var o = StateDict()
        for case let (key, value?) in arguments { o[key] = value }
        return o
    }
}

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
        case .none:   // foreach / fused: None or a bool; Muon's adjust_lr_fn, LBFGS's line_search_fn:
                      // None or a name; LBFGS's max_eval: None or a number
            switch value {
            case .none, .bool: return value
            case .string where key == "adjust_lr_fn" || key == "line_search_fn": return value
            case .int where key == "max_eval", .double where key == "max_eval": return value
            default: throw bad("a bool or null")
            }
        case .tuple(let dt):
            // An element whose default is None (Adafactor's eps1) may also be None.
            guard let a = value.arrayValue, a.count == dt.count, zip(a, dt).allSatisfy({ x, d in
                (x.doubleValue != nil && x.boolValue == nil) || (x.isNone && d.isNone)
            }) else {
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
            throw OptimizerError(.invalidValue, "Invalid \(what): \(pyRepr(v))", key: key)
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
