import CkptCore

/// One of a run's second and later optimizers, as `/optimizers/<key>` holds it.
public struct ExtraOptimizer: Sendable {
    /// The entry's key: its position in the run config's `optimizers` list ("1", "2", ...).
    public var key: String
    /// The path of the entry in the file ("optimizers/1").
    public var path: String { "optimizers/\(key)" }
    public var optimizer: StateDict?
    public var scheduler: StateDict?
}

extension Checkpoint {
    /// The entries of `/optimizers` in file order; an entry that is not a dict has neither
    /// part (`OptimizerStructure` and verify report it).
    public var extraOptimizers: [ExtraOptimizer] {
        (optimizers ?? [:]).map { key, value in
            let d = value.dictValue
            return ExtraOptimizer(key: key, optimizer: d?["optimizer"]?.dictValue, scheduler: d?["scheduler"]?.dictValue)
        }
    }

    /// The `/optimizers` section for the optimizers after the first (nil when there are none).
    public static func optimizersSection(_ extra: [(optimizer: StateDict, scheduler: StateDict?)]) -> StateDict? {
        guard !extra.isEmpty else { return nil }
        var out = StateDict()
        for (i, e) in extra.enumerated() {
            var entry: StateDict = ["optimizer": .dict(e.optimizer)]
            if let s = e.scheduler { entry["scheduler"] = .dict(s) }
            out[String(i + 1)] = .dict(entry)
        }
        return out
    }

    /// Param groups of every optimizer together (the columns of `/progress/lr`): `/optimizer`'s,
    /// then each `/optimizers` entry's; nil when some optimizer's `param_groups` is unreadable.
    public var paramGroupCount: Int? {
        guard let o = optimizer else { return extraOptimizers.isEmpty ? nil : 0 }
        guard var n = o["param_groups"]?.arrayValue?.count else { return nil }
        for e in extraOptimizers {
            guard let c = e.optimizer?["param_groups"]?.arrayValue?.count else { return nil }
            n += c
        }
        return n
    }
}
