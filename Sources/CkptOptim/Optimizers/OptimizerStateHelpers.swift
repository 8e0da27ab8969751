import CkptCore

/// What the optimizers written in Swift share: reading tuple hyperparameters, PyTorch's
/// `betas` check, and lazily created state shaped like the parameter.
extension Optimizer {
    /// A group's 2-tuple of numbers (`betas`, `etas`, `step_sizes`).
    func pair(_ group: ParamGroup, _ key: String) throws -> (Double, Double) {
        guard let a = group[key]?.arrayValue, a.count == 2,
              let x = a[0].doubleValue, let y = a[1].doubleValue else {
            throw OptimizerError(.invalidType, "\(typeName): param group '\(key)' must be a pair of numbers")
        }
        return (x, y)
    }

    /// PyTorch's usual constructor checks, in the order given: `betas` in [0, 1), every other
    /// key >= 0 with its message ("Invalid learning rate: -1", "Invalid epsilon value: ...",
    /// "Invalid <key> value: ...").
    static func requireNonNegative(_ o: StateDict, keys: String...) throws {
        for key in keys {
            switch key {
            case "betas": try requireBetas(o)
            case "lr": try requireNonNegative(o, key, "learning rate")
            case "eps": try requireNonNegative(o, key, "epsilon value")
            default: try requireNonNegative(o, key, "\(key) value")
            }
        }
    }

    /// PyTorch's `0.0 <= betas[i] < 1.0` checks: "Invalid beta parameter at index i: v".
    static func requireBetas(_ o: StateDict) throws {
        for (i, b) in (o["betas"]?.arrayValue ?? []).enumerated() {
            if let d = b.doubleValue, !(d >= 0 && d < 1) {
                throw OptimizerError(.invalidValue, "Invalid beta parameter at index \(i): \(pyRepr(b))", key: "betas")
            }
        }
    }

    /// Zero-filled float32 state shaped like `p` (PyTorch's `zeros_like(p)`).
    static func zerosState(_ p: Parameter) -> StateValue {
        .tensor(TensorData(shape: p.shape, storage: .float32([Float](repeating: 0, count: p.value.count))))
    }

    /// The first state of an optimizer that keeps a step count and zero-filled `buffers`, in
    /// that order (PyTorch's lazy state init of Adamax, RAdam, Adadelta).
    static func stepAndZeros(_ buffers: [String]) -> (Parameter) -> StateDict {
        { p in
            var s: StateDict = ["step": .tensor(.scalar(0))]
            for b in buffers { s[b] = zerosState(p) }
            return s
        }
    }

    /// Checks that state `s` of `p` holds the tensors `keys` with `count` elements each (a
    /// loaded state dict may not); otherwise puts `s` back unchanged and throws an error
    /// naming the optimizer, the parameter, the key and both sizes.
    func requireBuffers(_ s: StateDict, _ keys: [String], count: Int, for p: Parameter) throws {
        for key in keys {
            var found = -1
            if case .tensor(let t)? = s[key] { found = t.count }
            if found != count {
                putState(s, for: p)
                let what = found < 0 ? "is missing" : "has \(found) elements"
                throw OptimizerError(.invalidValue,
                    "\(typeName): state '\(key)' of '\(p.name)' \(what), parameter has \(count)")
            }
        }
    }

    /// A 0-d state tensor (`step`, `eta`, `mu`, `mu_product`) as a float (an old state dict
    /// may hold a plain number).
    static func scalarState(_ s: StateDict, _ key: String, default d: Float) -> Float {
        switch s[key] {
        case .tensor(let t)?: return t.floatArray().first ?? d
        case let v?: return v.doubleValue.map(Float.init) ?? d
        case nil: return d
        }
    }
}
