import CkptCore

extension RunConfig {
    /// One entry of the run config's `"optimizers"` list: a run with several optimizers
    /// (Muon for the hidden matrices and AdamW for the rest, as PyTorch's Muon docs recommend;
    /// a GAN's two), each over the parameters its `params` globs match, with its own scheduler.
    ///
    /// `{"params": ["fc1.weight", "fc2.weight"], "type": "Muon", "lr": 0.02,
    ///   "scheduler": {"type": "CosineAnnealingLR", "T_max": 10}}`: `params` and `scheduler`
    /// are the entry's; every other key is the entry's `optimizer` section, read as the
    /// top-level `"optimizer"` is (`param_groups` inside it split the entry's parameters).
    /// Each parameter goes to the first entry whose globs match it, so a last entry with
    /// `["*"]` takes the rest. `scheduler` left out is `null` (constant lr).
    public struct OptimizerEntry: Sendable, Equatable {
        public var params: [String]
        public var optimizer: StateDict
        public var scheduler: StateDict?

        public init(params: [String], optimizer: StateDict, scheduler: StateDict? = nil) {
            self.params = params
            self.optimizer = optimizer
            self.scheduler = scheduler
        }

        /// Whether this entry's globs match `name`.
        public func matches(_ name: String) -> Bool { params.contains { Glob($0).matches(name) } }

        var json: StateDict {
            var out: StateDict = ["params": .list(params.map { .string($0) })]
            for (k, v) in optimizer { out[k] = v }
            out["scheduler"] = scheduler.map { .dict($0) } ?? .none
            return out
        }
    }

    /// The fine-tuning recipe's `"unfreeze"` entry: at the start of epoch `atEpoch` (after
    /// `epoch-<atEpoch>.h5`'s state), the frozen parameters `params` match become trainable and
    /// join their optimizer as a new param group (`add_param_group`) with `options` (`lr`, ...).
    public struct Unfreeze: Sendable, Equatable {
        public var atEpoch: Int
        public var params: [String]
        public var options: StateDict

        public func matches(_ name: String) -> Bool { params.contains { Glob($0).matches(name) } }

        var json: StateDict {
            var out: StateDict = ["at_epoch": .int(Int64(atEpoch)), "params": .list(params.map { .string($0) })]
            for (k, v) in options { out[k] = v }
            return out
        }
    }

    /// Every optimizer of the run as `OptimizerEntry`s: the `"optimizers"` list, or the one
    /// `"optimizer"` / `"scheduler"` over every parameter.
    public var optimizerEntries: [OptimizerEntry] {
        optimizers ?? [OptimizerEntry(params: ["*"], optimizer: optimizer, scheduler: scheduler)]
    }

    /// Whether `name` is frozen at the start of training (`"freeze"` globs).
    public func isFrozen(_ name: String) -> Bool { freeze.contains { Glob($0).matches(name) } }

    /// The `"optimizer"` section with the seed's defaults filled in (type SGD, lr 0.001, momentum 0.9).
    static func optimizerSection(_ o: StateDictReader) throws -> StateDict {
        var section = o.dict
        let type = try o.string("type") ?? "SGD"
        if section["type"] == nil { section = prepending("type", .string(type), to: section) }
        if type == "SGD" {
            // The seed's values stand in for keys left out, as everywhere in the config.
            if section["lr"] == nil { section["lr"] = seedOptimizer["lr"] }
            if section["momentum"] == nil { section["momentum"] = seedOptimizer["momentum"] }
        }
        if section["param_groups"]?.isNone == true { _ = section.removeValue(forKey: "param_groups") }
        return section
    }

    /// A `"scheduler"` section (type, arguments, `interval`, ReduceLROnPlateau's `metric`).
    static func schedulerSection(_ s: StateDictReader) throws -> (StateDict, PlateauMetric?) {
        var section = s.dict
        let type = try s.string("type") ?? "ExponentialLR"
        if section["type"] == nil { section = prepending("type", .string(type), to: section) }
        if type == "ExponentialLR", section["gamma"] == nil { section["gamma"] = seedScheduler["gamma"] }
        if let interval = section["interval"] {
            guard let text = interval.stringValue, text == "epoch" || text == "step" else {
                throw s.error("interval", "expected \"epoch\" or \"step\", found \(interval.shortDescription)")
            }
        }
        var metric: PlateauMetric?
        if let m = section.removeValue(forKey: "metric") {
            guard type == "ReduceLROnPlateau" else {
                throw s.error("metric", "only used with \"type\": \"ReduceLROnPlateau\"")
            }
            guard let text = m.stringValue, let parsed = PlateauMetric(rawValue: text) else {
                throw s.error("metric", "expected \"test_loss\" or \"train_loss\", found \(m.shortDescription)")
            }
            metric = parsed
        }
        return (section, metric)
    }

    /// Parses `"optimizers"`, `"freeze"` and `"unfreeze"`.
    mutating func parseOptimizerRecipes(_ r: StateDictReader) throws {
        if r.has("optimizers") {
            for key in ["optimizer", "scheduler"] where r.has(key) {
                throw r.error(key, "not used with \"optimizers\" (each entry has its own optimizer keys and \"scheduler\")")
            }
            let entries = try r.list("optimizers", expected: "a list of objects", \.dictValue) ?? []
            guard !entries.isEmpty else { throw r.error("optimizers", "empty list (use \"optimizer\" for one optimizer)") }
            var parsed: [OptimizerEntry] = []
            for (i, entry) in entries.enumerated() {
                let e = StateDictReader(entry, path: "optimizers[\(i)]")
                let params = try Self.globs(e, "params")
                var section = entry
                _ = section.removeValue(forKey: "params")
                let schedulerValue = section.removeValue(forKey: "scheduler")
                var scheduler: StateDict?
                if schedulerValue != nil, let s = try e.dict("scheduler") {
                    let (sched, metric) = try Self.schedulerSection(s)
                    scheduler = sched
                    if let metric { plateauMetric = metric }
                }
                let optimizer = try Self.optimizerSection(StateDictReader(section, path: "optimizers[\(i)]"))
                parsed.append(OptimizerEntry(params: params, optimizer: optimizer, scheduler: scheduler))
            }
            optimizers = parsed
            optimizer = parsed[0].optimizer
            scheduler = parsed[0].scheduler
        }
        if r.has("freeze") { freeze = try Self.globs(r, "freeze") }
        if r.has("unfreeze") {
            let entries = try r.list("unfreeze", expected: "a list of objects", \.dictValue) ?? []
            for (i, entry) in entries.enumerated() {
                let u = StateDictReader(entry, path: "unfreeze[\(i)]")
                let at = try u.required("at_epoch", u.positiveInt("at_epoch"), "the epoch (1 or later) at whose start the parameters become trainable")
                let params = try Self.globs(u, "params")
                var options = entry
                _ = options.removeValue(forKey: "at_epoch")
                _ = options.removeValue(forKey: "params")
                unfreeze.append(Unfreeze(atEpoch: at, params: params, options: options))
            }
        }
    }

    /// A non-empty list of name globs (or one glob as a string).
    private static func globs(_ r: StateDictReader, _ key: String) throws -> [String] {
        switch r.dict[key] {
        case .string(let s)?: return [s]
        case .list(let a)? where !a.isEmpty && a.allSatisfy({ $0.stringValue != nil }): return a.map { $0.stringValue! }
        case nil: throw r.error(key, "missing (a list of parameter name patterns such as [\"conv*\"])")
        case let v?: throw r.error(key, "expected a non-empty list of parameter name patterns, found \(v.shortDescription)")
        }
    }

    /// `"optimizers"`, `"freeze"`, `"unfreeze"` for `json`, when set.
    func addOptimizerRecipes(to out: inout StateDict) {
        if let optimizers {
            _ = out.removeValue(forKey: "optimizer")
            _ = out.removeValue(forKey: "scheduler")
            out["optimizers"] = .list(optimizers.map { e in
                var d = e.json
                if var s = e.scheduler, s["type"]?.stringValue == "ReduceLROnPlateau" {
                    s["metric"] = .string(plateauMetric.rawValue)
                    d["scheduler"] = .dict(s)
                }
                return .dict(d)
            })
        }
        if !freeze.isEmpty { out["freeze"] = .list(freeze.map { .string($0) }) }
        if !unfreeze.isEmpty { out["unfreeze"] = .list(unfreeze.map { .dict($0.json) }) }
    }
}
