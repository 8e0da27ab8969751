import CkptCore

/// How a `torch.save` object becomes a `Checkpoint`, so inspect, diff, verify and convert
/// show a PyTorch training checkpoint as they show a ckpt one.
///
/// - A dict whose values are all tensors is a model `state_dict()`: the `model` section.
/// - A dict with a model entry is a training checkpoint. Recognised keys: `model`,
///   `model_state_dict`, `state_dict` (model); `optimizer`, `optimizer_state_dict`, `optim`
///   (optimizer: a dict with `state` and `param_groups`); `scheduler`, `lr_scheduler`,
///   `scheduler_state_dict` (scheduler). Every other entry (`epoch`, `best_acc`, ...) is
///   kept under its own key in `metadata` (a ckpt `progress` section also needs the lr and
///   loss histories, which a torch.save file does not have); keys that ckpt reserves there
///   (`format`, `created_at`, a section name, ...) get a `torch_` prefix.
/// - A dict with `state` and `param_groups` alone is an optimizer `state_dict()` (Hugging
///   Face's `optimizer.pt`); one with `last_epoch` and `base_lrs` (or `_last_lr`) a scheduler's.
/// - Anything else is kept whole in `metadata/object`.
///
/// The optimizer and scheduler sections get ckpt's `type` key first, guessed from PyTorch's
/// param-group and state keys (`optimizerType`, `schedulerType`); when the keys match no type
/// ckpt knows, no `type` is added and the section is shown as a plain tree.
public enum TorchCheckpoint {
    static let modelKeys = ["model", "model_state_dict", "state_dict"]
    static let optimizerKeys = ["optimizer", "optimizer_state_dict", "optim"]
    static let schedulerKeys = ["scheduler", "lr_scheduler", "scheduler_state_dict"]

    /// The checkpoint at `path` (a torch.save file); `keys` names non-standard root keys.
    public static func load(_ path: String, keys: TorchKeyMap = .standard) throws -> Checkpoint {
        let value = try TorchFile.read(path)
        try check(value, keys: keys, file: path)
        return checkpoint(from: value, keys: keys)
    }

    /// Each role `keys` maps must be at its key: a dict (the epoch an int), in a dict at the root.
    static func check(_ value: StateValue, keys: TorchKeyMap, file: String) throws {
        guard keys != .standard else { return }
        guard case .dict(let root) = value else {
            throw CheckpointError.malformed(file: file, path: "/", reason: "--map names root keys, but the file holds a \(value.kindName), not a dict")
        }
        for (role, key) in [("model", keys.model), ("optimizer", keys.optimizer), ("scheduler", keys.scheduler), ("epoch", keys.epoch)] {
            guard let key else { continue }
            guard let v = root[key] else {
                throw CheckpointError.malformed(file: file, path: key, reason: "--map says the \(role) is under \(key.debugDescription), but the file has no such key (its keys: \(root.keys.joined(separator: ", ")))")
            }
            let fits = role == "epoch" ? v.intValue != nil : v.dictValue != nil
            guard fits else {
                throw CheckpointError.malformed(file: file, path: key, reason: "--map says the \(role) is here, but it holds a \(v.kindName), not \(role == "epoch" ? "an int" : "a state dict")")
            }
        }
        if let o = keys.optimizer, let d = root[o]?.dictValue, !isOptimizer(d) {
            throw CheckpointError.malformed(file: file, path: o, reason: "--map says the optimizer is here, but it has no `state` and `param_groups` (its keys: \(d.keys.joined(separator: ", ")))")
        }
    }

    public static func checkpoint(from value: StateValue, keys: TorchKeyMap = .standard) -> Checkpoint {
        let modelKeys = keys.model.map { [$0] } ?? modelKeys
        let optimizerKeys = keys.optimizer.map { [$0] } ?? optimizerKeys
        let schedulerKeys = keys.scheduler.map { [$0] } ?? schedulerKeys
        // created_by, which diff shows but never counts: a .pt and its converted .h5 compare equal.
        var metadata: StateDict = ["created_by": "torch.save"]
        guard case .dict(let root) = value else {
            metadata["object"] = value
            return Checkpoint(metadata: metadata, model: [:])
        }
        if keys == .standard, !root.isEmpty, root.allSatisfy({ $0.value.tensorValue != nil }) {
            return Checkpoint(metadata: metadata, model: root)
        }
        if keys == .standard, isOptimizer(root) { return Checkpoint(metadata: metadata, model: [:], optimizer: typedOptimizer(root)) }
        if keys == .standard, isScheduler(root) { return Checkpoint(metadata: metadata, model: [:], scheduler: typedScheduler(root)) }
        guard let modelKey = modelKeys.first(where: { root[$0]?.dictValue != nil }) else {
            metadata["object"] = value
            return Checkpoint(metadata: metadata, model: [:])
        }
        var model = StateDict(), optimizer: StateDict?, scheduler: StateDict?
        for (key, v) in root {
            if key == modelKey, let d = v.dictValue {
                model = d
            } else if optimizer == nil, optimizerKeys.contains(key), let d = v.dictValue, isOptimizer(d) {
                optimizer = typedOptimizer(d)
            } else if scheduler == nil, schedulerKeys.contains(key), let d = v.dictValue {
                scheduler = typedScheduler(d)
            } else if let e = keys.epoch, key == e {
                metadata["epoch"] = v
            } else if CheckpointFormat.sections.contains(key) || ["format", "format_version", "created_by", "created_at"].contains(key) {
                metadata["torch_" + key] = v
            } else {
                metadata[key] = v
            }
        }
        return Checkpoint(metadata: metadata, model: model, optimizer: optimizer, scheduler: scheduler)
    }

    static func isOptimizer(_ d: StateDict) -> Bool {
        d["state"]?.dictValue != nil && d["param_groups"]?.arrayValue != nil
    }

    static func isScheduler(_ d: StateDict) -> Bool {
        d["last_epoch"] != nil && (d["base_lrs"] != nil || d["_last_lr"] != nil)
    }

    static func typedOptimizer(_ d: StateDict) -> StateDict {
        guard d["type"] == nil, let type = optimizerType(d) else { return d }
        return StateDict([("type", .string(type))] + d.map { ($0.key, $0.value) })
    }

    static func typedScheduler(_ d: StateDict) -> StateDict {
        guard d["type"] == nil, let type = schedulerType(d) else { return d }
        return StateDict([("type", .string(type))] + d.map { ($0.key, $0.value) })
    }

    /// The torch.optim class whose param groups have these keys (PyTorch 2.x defaults):
    /// SGD (`nesterov`, `dampening`), Adam / AdamW (`betas`, `amsgrad`; AdamW when
    /// `decoupled_weight_decay` is true), RMSprop (`alpha`, `centered`), Adagrad (`lr_decay`).
    public static func optimizerType(_ d: StateDict) -> String? {
        guard let group = d["param_groups"]?.arrayValue?.first?.dictValue else { return nil }
        func has(_ keys: String...) -> Bool { keys.allSatisfy { group[$0] != nil } }
        if has("nesterov", "dampening", "momentum") { return "SGD" }
        if has("betas", "amsgrad") { return group["decoupled_weight_decay"] == .bool(true) ? "AdamW" : "Adam" }
        if has("alpha", "centered") { return "RMSprop" }
        if has("lr_decay", "initial_accumulator_value") { return "Adagrad" }
        return nil
    }

    /// The torch.optim.lr_scheduler class whose `state_dict()` has these keys.
    public static func schedulerType(_ d: StateDict) -> String? {
        func has(_ keys: String...) -> Bool { keys.allSatisfy { d[$0] != nil } }
        if has("_schedulers", "_milestones") { return "SequentialLR" }
        if has("_schedulers") { return "ChainedScheduler" }
        if has("patience", "cooldown") { return "ReduceLROnPlateau" }
        if has("total_steps", "_schedule_phases") { return "OneCycleLR" }
        if has("max_lrs", "total_size") { return "CyclicLR" }
        if has("T_0", "T_mult") { return "CosineAnnealingWarmRestarts" }
        if has("T_max", "eta_min") { return "CosineAnnealingLR" }
        if has("milestones") { return "MultiStepLR" }
        if has("step_size", "gamma") { return "StepLR" }
        if has("start_factor", "end_factor") { return "LinearLR" }
        if has("factor", "total_iters") { return "ConstantLR" }
        if has("power", "total_iters") { return "PolynomialLR" }
        if has("gamma") { return "ExponentialLR" }
        return nil  // LambdaLR and MultiplicativeLR cannot be told apart by their keys
    }
}

extension TorchCheckpoint {
    /// The checkpoint as `verify`'s consistency checks expect a ckpt one (format v1 stamps;
    /// every param group's `param_names`), so they apply to a torch.save file: PyTorch numbers
    /// the parameters of `model.parameters()` in model order, so when the groups hold exactly as
    /// many parameters as the model has tensors, index k is the model's k-th tensor. Otherwise
    /// (buffers, a subset of parameters) the names stay unknown; `namesInferred` says which.
    public static func verifiable(_ c: Checkpoint) -> (checkpoint: Checkpoint, namesInferred: Bool) {
        var out = c
        out.metadata["format"] = .string(CheckpointFormat.name)
        out.metadata["format_version"] = .int(CheckpointFormat.version)
        guard var opt = c.optimizer, let groups = opt["param_groups"]?.arrayValue else { return (out, true) }
        let names = c.model.keys
        let total = groups.reduce(0) { $0 + ($1.dictValue?["params"]?.arrayValue?.count ?? 0) }
        guard total == names.count, groups.allSatisfy({ $0.dictValue?["param_names"] == nil }) else {
            return (out, groups.allSatisfy { $0.dictValue?["param_names"] != nil })
        }
        opt["param_groups"] = .list(groups.map { g in
            guard var d = g.dictValue, let params = d["params"]?.arrayValue else { return g }
            d["param_names"] = .list(params.map { p in
                p.intValue.flatMap { i in i >= 0 && i < names.count ? StateValue.string(names[Int(i)]) : nil } ?? .none
            })
            return .dict(d)
        })
        out.optimizer = opt
        return (out, true)
    }
}
