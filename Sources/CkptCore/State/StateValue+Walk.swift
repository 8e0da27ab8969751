extension StateDict {
    /// Visits every value of the tree depth-first, in key order, with its path: keys and list
    /// indices joined by "/" below `root` (`optimizer/state/0/exp_avg`, `scheduler/_schedulers/1`).
    /// `visit` returns whether to descend into a dict, list or tuple it was shown.
    ///
    /// The one walk of a state dict: counting, flattening and summarising all go through it.
    public func walk(root: String = "", _ visit: (_ path: String, _ value: StateValue) throws -> Bool) rethrows {
        for (key, value) in self {
            try value.walk(path: root.isEmpty ? key : root + "/" + key, visit)
        }
    }

    /// Every tensor of the tree with its path, in walk order.
    public func tensors(root: String = "") -> [(path: String, tensor: TensorData)] {
        var out: [(path: String, tensor: TensorData)] = []
        walk(root: root) { path, value in
            if case .tensor(let t) = value { out.append((path, t)) }
            return true
        }
        return out
    }

    /// The number of tensors in the tree.
    public var tensorCount: Int {
        var n = 0
        walk { _, value in
            if case .tensor = value { n += 1 }
            return true
        }
        return n
    }
}

extension StateValue {
    /// `StateDict.walk` from this value, which is visited first at `path`.
    public func walk(path: String, _ visit: (_ path: String, _ value: StateValue) throws -> Bool) rethrows {
        guard try visit(path, self) else { return }
        switch self {
        case .dict(let d): try d.walk(root: path, visit)
        case .list(let a), .tuple(let a):
            for (i, x) in a.enumerated() { try x.walk(path: path + "/\(i)", visit) }
        default: break
        }
    }

    /// The tree with every value replaced by `transform` (applied bottom-up to containers'
    /// rebuilt contents): the one map over a state value.
    public func mapValues(_ transform: (StateValue) throws -> StateValue) rethrows -> StateValue {
        switch self {
        case .dict(let d): return try transform(.dict(d.mapEntries { try $1.mapValues(transform) }))
        case .list(let a): return try transform(.list(a.map { try $0.mapValues(transform) }))
        case .tuple(let a): return try transform(.tuple(a.map { try $0.mapValues(transform) }))
        default: return try transform(self)
        }
    }
}

extension StateDict {
    /// Applies `update` to every tensor of the tree in walk order, in place: the one mutable
    /// walk. Nothing is rebuilt (a dict keeps its hash table), so it costs little more than
    /// `update` itself when the tree is not shared.
    public mutating func updateTensors(_ update: (inout TensorData) throws -> Void) rethrows {
        for i in entries.values.indices { try entries.values[i].updateTensors(update) }
    }
}

extension StateValue {
    /// `StateDict.updateTensors` from this value.
    public mutating func updateTensors(_ update: (inout TensorData) throws -> Void) rethrows {
        // Each payload is moved out (self set to .none meanwhile), so an unshared one is
        // mutated where it is instead of copied; `defer` puts it back even if `update` throws.
        switch self {
        case .tensor(var t):
            self = .none
            defer { self = .tensor(t) }
            try update(&t)
        case .dict(var d):
            self = .none
            defer { self = .dict(d) }
            try d.updateTensors(update)
        case .list(var a):
            self = .none
            defer { self = .list(a) }
            for i in a.indices { try a[i].updateTensors(update) }
        case .tuple(var a):
            self = .none
            defer { self = .tuple(a) }
            for i in a.indices { try a[i].updateTensors(update) }
        default: break
        }
    }
}
