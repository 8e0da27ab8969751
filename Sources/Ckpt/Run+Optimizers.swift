/// A run's optimizers beyond the one of the seed: the `"optimizers"` list (one per entry, each
/// with its scheduler) and the fine-tuning recipe (`"freeze"`, `"unfreeze"`).
///
/// Checkpoints keep the first optimizer and its scheduler in `/optimizer` and `/scheduler`
/// (format v1 as before) and the others in `/optimizers/<i>` (`docs/FORMAT.md`). The lr
/// history has one column per param group of all optimizers, in order; a group added by
/// `unfreeze` has lr 0 in the rows before it existed (its parameters did not move).
extension Run {
    /// Builds every optimizer and scheduler of `config` over the parameters not frozen, in
    /// PyTorch's order: each optimizer, then its scheduler. Each parameter goes to the first
    /// entry whose globs match it.
    static func buildOptimizers(_ config: RunConfig, parameters: [Parameter]) throws
        -> (optimizers: [Optimizer], schedulers: [RunScheduler?], frozen: [Parameter])
    {
        let frozen = parameters.filter { config.isFrozen($0.name) }
        let trainable = parameters.filter { !config.isFrozen($0.name) }
        for (i, u) in config.unfreeze.enumerated() where !frozen.contains(where: { u.matches($0.name) }) {
            throw RunError.config("unfreeze[\(i)].params: \(u.params) match no frozen parameter (frozen: \(frozen.map(\.name).joined(separator: ", ")))")
        }
        if config.freeze.count > 0, frozen.isEmpty {
            throw RunError.config("freeze: \(config.freeze) match no parameter")
        }
        guard let entries = config.optimizers else {
            let optimizer = try makeOptimizer(config: config.optimizer, parameters: trainable)
            let scheduler = try config.scheduler.map { try runScheduler($0, optimizer, path: "scheduler") }
            try checkUnfreezeKeys(config, [optimizer])
            return ([optimizer], [scheduler], frozen)
        }
        if config.averaging.map({ if case .swa = $0 { true } else { false } }) ?? false, entries.count > 1 {
            throw RunError.config("averaging: SWA's SWALR drives one optimizer; this run has \(entries.count) (\"optimizers\")")
        }
        var members = [[Parameter]](repeating: [], count: entries.count)
        var unmatched: [String] = []
        for p in trainable {
            guard let i = entries.firstIndex(where: { $0.matches(p.name) }) else { unmatched.append(p.name); continue }
            members[i].append(p)
        }
        if !unmatched.isEmpty {
            throw RunError.config("optimizers: parameters matching no entry's params: \(unmatched.joined(separator: ", ")) (end the list with an entry whose params are [\"*\"] to take the rest)")
        }
        var optimizers: [Optimizer] = [], schedulers: [RunScheduler?] = []
        for (i, entry) in entries.enumerated() {
            guard !members[i].isEmpty else {
                throw RunError.config("optimizers[\(i)].params: \(entry.params) match no parameter (or only ones an earlier entry took)")
            }
            do {
                if entry.optimizer["type"]?.stringValue == "LBFGS" {
                    throw OptimizerError(.config, "optimizer.type: LBFGS steps with a closure of its own and cannot share a run with other optimizers")
                }
                let o = try makeOptimizer(config: entry.optimizer, parameters: members[i])
                optimizers.append(o)
                schedulers.append(try entry.scheduler.map { try runScheduler($0, o, path: "optimizers[\(i)].scheduler") })
            } catch let e as OptimizerError {
                // makeOptimizer names the top-level section; this is the entry's.
                let m = e.message.hasPrefix("optimizer") ? "optimizers[\(i)]" + e.message.dropFirst("optimizer".count) : e.message
                throw RunError.config(m)
            }
        }
        try checkUnfreezeKeys(config, optimizers)
        return (optimizers, schedulers, frozen)
    }

    /// An `unfreeze` key its optimizer does not have fails when the run is built, not epochs later.
    private static func checkUnfreezeKeys(_ config: RunConfig, _ optimizers: [Optimizer]) throws {
        for (i, u) in config.unfreeze.enumerated() {
            let k = config.optimizers?.firstIndex { e in u.params.contains { g in e.params.contains(g) } || e.params == ["*"] } ?? 0
            let o = optimizers[min(k, optimizers.count - 1)]
            for key in u.options.keys where o.defaults[key] == nil {
                throw RunError.config("unfreeze[\(i)].\(key): unknown key for \(o.typeName) (its keys: \(o.defaults.keys.joined(separator: ", ")))")
            }
        }
    }

    private static func runScheduler(_ section: StateDict, _ optimizer: Optimizer, path: String) throws -> RunScheduler {
        let (s, interval) = try makeScheduler(config: section, optimizer: optimizer, path: path)
        return RunScheduler(s, interval: interval)
    }

    /// The param groups of every optimizer, in order (the columns of the lr history).
    public var allParamGroups: [ParamGroup] { optimizers.flatMap(\.paramGroups) }

    /// Applies the `unfreeze` entries whose epoch is `epoch` (or, with `through`, every one up
    /// to it: a resume rebuilds the groups the saved run had added before loading its state).
    func unfreeze(at epoch: Int, through: Bool = false) throws {
        for (i, u) in config.unfreeze.enumerated() where through ? u.atEpoch <= epoch : u.atEpoch == epoch {
            let params = frozen.filter { u.matches($0.name) }
            guard let first = params.first else { continue }   // an earlier entry took them
            let k = config.optimizers?.firstIndex { $0.matches(first.name) } ?? 0
            let column = optimizers[...k].reduce(0) { $0 + $1.paramGroups.count }
            do {
                try optimizers[k].addParamGroup(params, configOptions: u.options, path: "unfreeze[\(i)]")
            } catch let e as OptimizerError {
                throw RunError.config(e.message)
            }
            frozen.removeAll { p in params.contains { $0 === p } }
            progress.insertLRColumn(at: column)
        }
    }

    /// Gradients of frozen parameters are dropped after each backward (`requires_grad=False`).
    func dropFrozenGradients() {
        for p in frozen { p.grad = nil }
    }

    /// The checkpoint's `/optimizers` section: the second and later optimizers.
    var extraOptimizersSection: StateDict? {
        Checkpoint.optimizersSection(zip(optimizers, schedulers).dropFirst().map { ($0.stateDict(), $1?.stateDict()) })
    }

    /// Loads `/optimizers/<i>` into the second and later optimizers (PyTorch's order: each
    /// optimizer's state, then its scheduler's).
    func loadExtraOptimizers(_ file: Checkpoint) throws {
        let saved = file.extraOptimizers
        guard saved.count == optimizers.count - 1 else {
            throw RunError.mismatch("/optimizers: holds \(saved.count) optimizers after the first, but the config builds \(optimizers.count - 1)")
        }
        for (i, e) in saved.enumerated() {
            guard e.key == String(i + 1) else {
                throw RunError.mismatch("/\(e.path): expected /optimizers/\(i + 1) at this position")
            }
            guard let o = e.optimizer else { throw RunError.mismatch("/\(e.path)/optimizer: missing") }
            do { try optimizers[i + 1].loadStateDict(o) } catch { throw RunError.mismatch("/\(e.path)/optimizer: \(error)") }
            switch (schedulers[i + 1], e.scheduler) {
            case (nil, nil): break
            case (let s?, let state?):
                do { try s.loadStateDict(state) } catch { throw RunError.mismatch("/\(e.path)/scheduler: \(error)") }
            case (let s?, nil): throw RunError.mismatch("/\(e.path)/scheduler: missing, but the config builds \(s.typeName)")
            case (nil, _?): throw RunError.mismatch("/\(e.path)/scheduler: present, but optimizers[\(i + 1)] has \"scheduler\": null")
            }
        }
    }
}
