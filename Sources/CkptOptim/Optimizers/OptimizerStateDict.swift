import CkptCore

extension Optimizer {
    /// PyTorch's `optimizer.state_dict()` with our `type` key first:
    /// `["type": "Adam", "state": [0: ["step": ..., "exp_avg": ...], ...],
    ///   "param_groups": [[<hyperparameters in group order>, "params": [0, 1, ...]], ...]]`.
    ///
    /// Parameters are numbered across the groups in order (a parameter repeated inside one
    /// group gets its last position, as in PyTorch). `state` has int keys (`keyKind == .int`),
    /// as PyTorch's, and lists parameters in the order they first got state. Tensors share storage with the live state (copy-on-write), so the
    /// result is a snapshot: later steps do not change it.
    public func stateDict() -> StateDict {
        var index: [ObjectIdentifier: Int] = [:]
        var groups: [StateValue] = []
        var start = 0
        for group in paramGroups {
            var local: [ObjectIdentifier: Int] = [:]
            for (i, p) in group.params.enumerated() where index[ObjectIdentifier(p)] == nil {
                local[ObjectIdentifier(p)] = start + i
            }
            index.merge(local) { a, _ in a }
            var packed = StateDict()
            for (key, value) in group.options where key != "params" {
                packed[key] = key == "param_names" ? .list(group.params.map { .string($0.name) }) : value
            }
            if packed["param_names"] == nil {
                packed["param_names"] = .list(group.params.map { .string($0.name) })
            }
            packed["params"] = .list(group.params.map { .int(Int64(index[ObjectIdentifier($0)]!)) })
            start += group.params.count
            groups.append(.dict(packed))
        }
        var packedState = StateDict(intKeys: [])
        var ordered = stateOrder.filter { state[$0] != nil }
        if ordered.count < state.count {   // state assigned directly: append in index order
            let known = Set(ordered)
            ordered += index.sorted { $0.value < $1.value }.map(\.key)
                .filter { state[$0] != nil && !known.contains($0) }
        }
        for id in ordered {
            guard let i = index[id], let s = state[id] else { continue }
            packedState[String(i)] = .dict(s)
        }
        return ["type": .string(typeName), "state": .dict(packedState), "param_groups": .list(groups)]
    }

    /// PyTorch's `optimizer.load_state_dict(sd)`.
    ///
    /// As PyTorch: the number of groups and each group's size must match; saved state goes to
    /// the parameter at the same position; saved group hyperparameters replace the current
    /// ones (only `params` is kept); state tensors are cast to float32, except `step`.
    /// Beyond PyTorch: a `type` other than `typeName` is an error naming both; where the saved
    /// groups carry `param_names`, or state tensors have a shape, a different name or shape at
    /// a position is an error naming the index and both sides. Float32 state is kept bit for bit.
    /// Nothing changes when it throws.
    public func loadStateDict(_ sd: StateDict) throws {
        if let t = sd["type"] {
            guard case .string(let name) = t else {
                throw OptimizerError(.stateDictMismatch, "optimizer state dict 'type' must be a string, found \(t.kindName)")
            }
            guard name == typeName else {
                throw OptimizerError(.stateDictMismatch,
                    "optimizer state dict is for \(name), this optimizer is \(typeName)")
            }
        }
        guard let savedGroupsValue = sd["param_groups"], let savedGroups = savedGroupsValue.arrayValue else {
            throw OptimizerError(.stateDictMismatch, "optimizer state dict has no 'param_groups' list")
        }
        let savedState: StateDict
        switch sd["state"] {
        case .dict(let s)?: savedState = s
        case nil: savedState = [:]
        case let v?: throw OptimizerError(.stateDictMismatch, "optimizer state dict 'state' must be a dict, found \(v.kindName)")
        }
        guard savedGroups.count == paramGroups.count else {
            throw OptimizerError(.invalidValue,
                "loaded state dict has a different number of parameter groups (saved \(savedGroups.count), optimizer has \(paramGroups.count))")
        }
        // Pair saved indices with current parameters, group by group.
        var idMap: [Int64: Parameter] = [:]
        var newGroups: [ParamGroup] = []
        for (gi, (saved, current)) in zip(savedGroups, paramGroups).enumerated() {
            guard case .dict(let g) = saved else {
                throw OptimizerError(.stateDictMismatch, "param_groups[\(gi)] must be a dict, found \(saved.kindName)")
            }
            guard let ids = Self.indexList(g["params"]) else {
                throw OptimizerError(.stateDictMismatch,
                    "param_groups[\(gi)].params must be a list of ints, found \(g["params"]?.kindName ?? "nothing")")
            }
            guard ids.count == current.params.count else {
                throw OptimizerError(.invalidValue,
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group (param_groups[\(gi)]: saved \(ids.count) parameters, optimizer has \(current.params.count))")
            }
            let names = g["param_names"]?.arrayValue?.map { $0.stringValue ?? "?" }
            for (k, (id, p)) in zip(ids, current.params).enumerated() {
                idMap[id] = p
                let savedShape = savedState[String(id)]?.dictValue.flatMap(Self.stateShape)
                let savedName = names.flatMap { k < $0.count ? $0[k] : nil }
                if (savedName != nil && savedName != p.name) || (savedShape != nil && savedShape != p.shape) {
                    let s = savedShape.map { "\($0)" } ?? "shape unknown"
                    throw OptimizerError(.stateDictMismatch,
                        "parameter \(id) (param_groups[\(gi)] position \(k)): saved '\(savedName ?? "?")' \(s), optimizer has '\(p.name)' \(p.shape)")
                }
            }
            var options = StateDict()
            for (key, value) in g where key != "params" { options[key] = value }
            if options["param_names"] == nil {
                // PyTorch keeps the current names when the saved group has none.
                options["param_names"] = .list(current.params.map { .string($0.name) })
            }
            completeLoadedGroup(&options)
            newGroups.append(ParamGroup(params: current.params, options: options))
        }
        var newState: [ObjectIdentifier: StateDict] = [:]
        var order: [ObjectIdentifier] = []
        for (key, value) in savedState {
            guard let i = Int64(key), let p = idMap[i] else {
                throw OptimizerError(.stateDictMismatch, "optimizer state dict has state for parameter \(key), which no group lists")
            }
            guard case .dict(let s) = value else {
                throw OptimizerError(.stateDictMismatch, "state[\(key)] must be a dict, found \(value.kindName)")
            }
            var cast = StateDict()
            // SparseAdam's step stays a Python int, as PyTorch's __setstate__ leaves it.
            let intStep = self is SparseAdam
            for (name, v) in s {
                cast[name] = name == "step" ? (intStep ? v : Self.loadedStep(v)) : Self.castToFloat32(v)
            }
            let id = ObjectIdentifier(p)
            if newState[id] == nil { order.append(id) }
            newState[id] = cast
        }
        paramGroups = newGroups
        state = newState
        stateOrder = order
        stateOrderSet = Set(order)
    }

    /// A group's `params`: a list of ints, or an integer tensor (as a file format may store it).
    static func indexList(_ v: StateValue?) -> [Int64]? {
        switch v {
        case .list(let a)?, .tuple(let a)?:
            let ids = a.compactMap { x -> Int64? in if case .int(let i) = x { i } else { nil } }
            return ids.count == a.count ? ids : nil
        case .tensor(let t)?:
            switch t.storage {
            case .int64(let a): return a
            case .int32(let a): return a.map(Int64.init)
            default: return nil
            }
        default: return nil
        }
    }

    /// The shape of the first non-`step` state tensor (PyTorch keeps them shaped like the param,
    /// except 0-d scalars such as NAdam's `mu_product`, Adafactor's factored `row_var` / `col_var`
    /// and LBFGS's flat `d` / `prev_flat_grad` over all parameters).
    static func stateShape(_ s: StateDict) -> [Int]? {
        let notShaped: Set = ["step", "row_var", "col_var", "d", "prev_flat_grad"]
        for (key, value) in s where !notShaped.contains(key) {
            if case .tensor(let t) = value, !t.shape.isEmpty { return t.shape }
        }
        return nil
    }

    /// `step` is left as saved, except that an old float step becomes a 0-d float32 tensor
    /// (PyTorch's `__setstate__`).
    static func loadedStep(_ v: StateValue) -> StateValue {
        switch v {
        case .double, .int: return .tensor(.scalar(Float(v.doubleValue!)))
        default: return v
        }
    }

    static func castToFloat32(_ v: StateValue) -> StateValue {
        v.mapValues { x in
            guard case .tensor(let t) = x, t.dtype != .float32 else { return x }
            return .tensor(TensorData(shape: t.shape, storage: .float32(t.floatArray())))
        }
    }
}
