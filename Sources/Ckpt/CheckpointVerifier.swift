import CkptCore
import CkptFormat
import CkptOptim

/// Checks that a checkpoint's sections agree with each other, as PyTorch's `load_state_dict`
/// calls would need them to (format v1, `docs/FORMAT.md`):
/// - metadata: `format == "ckpt"`, `format_version == 1`;
/// - model: every entry is a tensor;
/// - optimizer: a known `type`; `param_groups` a list of dicts, each with `lr`, `params` (ints)
///   and `param_names` (strings, as many as `params`, each a model tensor); the indices of all
///   groups together are `0..<N`, each once (PyTorch's numbering); every `state` key is one of
///   those indices, and each state tensor has its parameter's shape and dtype (`step` is 0-d);
/// - scheduler (and each child in `_schedulers`): a `type`, an int `last_epoch`, `base_lrs` and
///   `_last_lr` with one entry per param group, and `_last_lr` equal to the groups' `lr`;
/// - progress: non-negative `epoch` / `global_step`, `lr` float64 `[global_step, groups]`,
///   `loss` float32 `[global_step]`.
///
/// The optimizer's structure (groups, params, state keys) is `OptimizerStructure`'s, the same
/// check `CheckpointFile.load` makes; this adds what needs the registry and the model.
///
/// Tensor checksums are checked by `CheckpointFile`'s loader, not here: this works on a
/// `Checkpoint` in memory. It lives in `Ckpt` because its checks are about training (the
/// optimizer registry of `CkptOptim`, param groups against the model, `/progress` through
/// `RunProgress`), not about the file format.
public enum CheckpointVerifier {
    /// The optimizer types ckpt can build: `CkptOptim`'s registry.
    public static var optimizerTypes: Set<String> { Set(CkptOptim.optimizerTypes.keys) }

    /// Every problem found, in section order; empty when the checkpoint is sound.
    public static func problems(in checkpoint: Checkpoint) -> [VerifyProblem] {
        var v = Run(checkpoint: checkpoint)
        v.metadata()
        v.model()
        var groups = checkpoint.optimizer.flatMap { v.optimizer($0, section: "optimizer") }
        if let scheduler = checkpoint.scheduler {
            v.scheduler(scheduler, path: "scheduler", groups: groups, added: addedGroups(checkpoint.optimizer))
        }
        // A run's second and later optimizers: the same checks under their paths; the lr
        // history has a column for every group of every optimizer.
        for e in checkpoint.extraOptimizers {
            guard let o = e.optimizer else {
                v.problem(e.path, "expected a dict with an `optimizer` dict")
                groups = nil
                continue
            }
            let own = v.optimizer(o, section: e.path + "/optimizer")
            if let s = e.scheduler { v.scheduler(s, path: e.path + "/scheduler", groups: own, added: addedGroups(o)) }
            groups = own.flatMap { g in groups.map { $0 + g } }
        }
        v.progress(groups: groups)
        return v.problems
    }

    /// Trailing param groups without `initial_lr`: added by `add_param_group` after the
    /// scheduler was built (the fine-tuning recipe's `unfreeze`), so its lists may lack them.
    static func addedGroups(_ optimizer: StateDict?) -> Int {
        let groups = optimizer?["param_groups"]?.arrayValue ?? []
        guard groups.contains(where: { $0.dictValue?["initial_lr"] != nil }) else { return 0 }
        return groups.reversed().prefix { $0.dictValue?["initial_lr"] == nil }.count
    }

    private struct Run {
        let checkpoint: Checkpoint
        var problems: [VerifyProblem] = []

        mutating func problem(_ path: String, _ message: String) {
            problems.append(VerifyProblem(path: path, message: message))
        }

        mutating func metadata() {
            let m = checkpoint.metadata
            switch m["format"] {
            case .string("ckpt")?: break
            case nil: problem("/", "no format attribute (expected format = \"ckpt\")")
            case let other?: problem("/", "format is \(show(other)), expected \"ckpt\"")
            }
            switch m["format_version"] {
            case .int(1)?: break
            case nil: problem("/", "no format_version attribute (expected 1)")
            case let other?: problem("/", "format_version is \(show(other)), this ckpt reads version 1")
            }
        }

        mutating func model() {
            if checkpoint.model.isEmpty { problem("model", "no tensors") }
            for (name, value) in checkpoint.model where value.tensorValue == nil {
                problem("model/\(name)", "is a \(value.kindName), expected a tensor")
            }
        }

        /// Checks the optimizer: its structure (`OptimizerStructure`, the checks load makes too),
        /// then what needs training knowledge. Returns the group lrs (one per group) when readable.
        mutating func optimizer(_ opt: StateDict, section: String) -> [StateValue]? {
            if let type = opt["type"]?.stringValue, !CheckpointVerifier.optimizerTypes.contains(type) {
                problem(section, "unknown type \"\(type)\" (known: \(CheckpointVerifier.optimizerTypes.sorted().joined(separator: ", ")))")
            }
            let structure = OptimizerStructure(opt, section: section)
            problems += structure.problems
            guard let groups = structure.groups else { return nil }
            var lrs: [StateValue] = []
            for (g, group) in groups.enumerated() {
                guard let group else { continue }
                let path = "\(section)/param_groups/\(g)"
                if let lr = group["lr"], lr.doubleValue != nil { lrs.append(lr) } else {
                    problem(path, "no numeric lr")
                }
                if group["param_names"] == nil { problem(path, "param_names is missing") }
            }
            let slots = structure.slots
            for index in slots.keys.sorted() {
                let slot = slots[index]!
                if let name = slot.name, checkpoint.model[name] == nil {
                    problem("\(section)/param_groups/\(slot.group)", "param_names[\(slot.position)] = \"\(name)\" is not a tensor of the model")
                }
            }
            let total = Int64(slots.count)
            for index in slots.keys.sorted() where index < 0 || index >= total {
                problem("\(section)/param_groups/\(slots[index]!.group)",
                        "parameter index \(index) outside 0..<\(total) (PyTorch numbers parameters from 0, groups in order)")
            }
            stateShapes(opt["state"]?.dictValue ?? [:], slots: slots, section: section)
            return lrs.count == groups.count ? lrs : nil
        }

        /// Each state tensor against its parameter's shape and dtype (the model's tensor that
        /// `param_names` names); entries `OptimizerStructure` refused are skipped.
        mutating func stateShapes(_ state: StateDict, slots: [Int64: OptimizerStructure.Slot], section: String) {
            for (key, entry) in state {
                let path = "\(section)/state/\(key)"
                guard let index = Int64(key), let slot = slots[index], let slotValues = entry.dictValue else { continue }
                let param = slot.name.flatMap { checkpoint.model[$0]?.tensorValue }
                for (slotName, v) in slotValues {
                    guard let t = v.tensorValue else { continue }
                    if slotName == "step" {
                        if t.count != 1 { problem("\(path)/step", "shape \(t.shape), expected a 0-d tensor") }
                        continue
                    }
                    // 0-d scalars beside step (NAdam's mu_product, ASGD's eta and mu) have no
                    // parameter shape; Adafactor's factors have the last / second-to-last dim 1.
                    guard !t.shape.isEmpty, let param, let name = slot.name else { continue }
                    var expected = param.shape
                    if (slotName == "row_var" || slotName == "col_var") && expected.count > 1 {
                        expected[expected.count - (slotName == "row_var" ? 1 : 2)] = 1
                    }
                    if t.shape != expected {
                        problem("\(path)/\(slotName)", "shape \(t.shape) but parameter \(name) has shape \(param.shape)")
                    } else if t.dtype != param.dtype {
                        problem("\(path)/\(slotName)", "dtype \(t.dtype.rawValue) but parameter \(name) is \(param.dtype.rawValue)")
                    }
                }
            }
        }

        mutating func scheduler(_ s: StateDict, path: String, groups: [StateValue]?, added: Int = 0) {
            if s["type"]?.stringValue == nil { problem(path, "no type attribute") }
            if let e = s["last_epoch"], e.intValue == nil || e.boolValue != nil {
                problem(path, "last_epoch is a \(e.kindName), expected an int")
            }
            if let groups {
                for key in ["base_lrs", "_last_lr"] {
                    guard let v = s[key] else { continue }
                    guard let list = v.arrayValue else {
                        problem(path, "\(key) is a \(v.kindName), expected a list")
                        continue
                    }
                    // Up to `added` fewer entries than groups: groups `add_param_group` added
                    // after the scheduler was built (no `initial_lr`), as PyTorch keeps them.
                    if list.count > groups.count || list.count < groups.count - added {
                        problem(path, "\(key) has \(list.count) entries but the optimizer has \(groups.count) param groups")
                    }
                }
                if path.hasSuffix("scheduler"), !path.contains("_schedulers"), let last = s["_last_lr"]?.arrayValue, last.count <= groups.count {
                    for (g, (x, y)) in zip(last, groups).enumerated() {
                        if let a = x.doubleValue, let b = y.doubleValue, a.bitPattern != b.bitPattern {
                            problem(path, "_last_lr[\(g)] = \(a) but \(path.dropLast("scheduler".count))optimizer/param_groups/\(g) has lr = \(b)")
                        }
                    }
                }
            }
            if let children = s["_schedulers"] {
                guard let list = children.arrayValue else {
                    return problem(path, "_schedulers is a \(children.kindName), expected a list")
                }
                for (k, child) in list.enumerated() {
                    if let d = child.dictValue {
                        scheduler(d, path: "\(path)/_schedulers/\(k)", groups: groups, added: added)
                    } else {
                        problem("\(path)/_schedulers/\(k)", "is a \(child.kindName), expected a scheduler's dict")
                    }
                }
            }
        }

        /// `/progress` through its one parser, `RunProgress`, with the optimizer's group count.
        mutating func progress(groups: [StateValue]?) {
            guard let p = checkpoint.progress else { return }
            do {
                _ = try RunProgress(stateDict: p, groups: groups?.count)
            } catch let e as StateDictError {
                problem(e.key, e.message)
            } catch {
                problem("progress", "\(error)")
            }
        }

        func show(_ v: StateValue) -> String {
            if case .tensor(let t) = v { return "a tensor \(t.shape)" }
            return JSON.string(v)
        }
    }
}
