import CkptCore

/// Builds a scheduler from its config section, the form a run config and `ckpt schedule`
/// use: `{"type": "<PyTorch class name>", <PyTorch keyword arguments with PyTorch's names>,
/// "interval": "epoch" | "step"}`; SequentialLR and ChainedScheduler take their children as
/// `"schedulers": [{...}, ...]`; LambdaLR / MultiplicativeLR take `lr_lambda` as an
/// expression string of `epoch` (or a list, one per group).
///
/// Unknown keys, missing required keys and wrong types throw a `SchedulerError` naming the
/// key by its path (`scheduler.gama`, `scheduler.schedulers[1].T_max`). `interval` defaults
/// to `epoch`, as PyTorch's usual per-epoch `scheduler.step()`.
public func makeScheduler(config: StateDict, optimizer: Optimizer, path: String = "scheduler") throws
    -> (scheduler: LRScheduler, interval: SchedulerInterval)
{
    let c = StateDictReader(config, path: path)
    let interval: SchedulerInterval
    if let s = try c.string("interval") {
        guard let i = SchedulerInterval(rawValue: s) else {
            throw c.error("interval", "expected \"epoch\" or \"step\", found \"\(s)\"")
        }
        interval = i
    } else {
        interval = .epoch
    }
    let scheduler = try buildScheduler(c, optimizer: optimizer)
    return (scheduler, interval)
}

/// `makeScheduler` for an optional section: `nil` or JSON `null` means no scheduler.
public func makeScheduler(config: StateValue?, optimizer: Optimizer, path: String = "scheduler") throws
    -> (scheduler: LRScheduler, interval: SchedulerInterval)?
{
    guard let config, !config.isNone else { return nil }
    guard case .dict(let d) = config else {
        throw SchedulerError("\(path): expected an object or null, found \(config.kindName)")
    }
    return try makeScheduler(config: d, optimizer: optimizer, path: path)
}

/// The PyTorch class names `makeScheduler` accepts.
public let schedulerTypeNames = [
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
    "LambdaLR", "MultiplicativeLR", "SequentialLR", "ChainedScheduler", "SWALR",
]

private func buildScheduler(_ c: StateDictReader, optimizer: Optimizer) throws -> LRScheduler {
    guard let type = try c.string("type") else { throw c.error("type", "missing (a PyTorch scheduler class name)") }
    guard let known = schedulerKeys[type] else {
        throw c.error("type", "unknown scheduler \"\(type)\" (expected one of \(schedulerTypeNames.joined(separator: ", ")))")
    }
    // Unknown keys first, before building touches the optimizer's groups.
    for k in c.dict.keys where !known.contains(k) && !c.used.contains(k) {
        throw c.error(k, "unknown key for \(type) (expected \(known.joined(separator: ", ")))")
    }
    let s: LRScheduler
    do {
        s = try buildKind(type, c, optimizer: optimizer)
    } catch let e as SchedulerError where !e.message.hasPrefix(c.path) {
        throw SchedulerError("\(c.path) (\(type)): \(e.message)")
    }
    try c.finish(type)
    return s
}

private func buildKind(_ type: String, _ c: StateDictReader, optimizer: Optimizer) throws -> LRScheduler {
    switch type {
    case "StepLR":
        return try StepLR(optimizer: optimizer, stepSize: c.required("step_size", c.int("step_size")),
                          gamma: c.number("gamma") ?? PyNumber(0.1), lastEpoch: c.int("last_epoch") ?? -1)
    case "MultiStepLR":
        return try MultiStepLR(optimizer: optimizer, milestones: c.required("milestones", c.ints("milestones")),
                               gamma: c.number("gamma") ?? PyNumber(0.1), lastEpoch: c.int("last_epoch") ?? -1)
    case "ConstantLR":
        return try ConstantLR(optimizer: optimizer, factor: c.number("factor") ?? PyNumber(1.0 / 3),
                              totalIters: c.int("total_iters") ?? 5, lastEpoch: c.int("last_epoch") ?? -1)
    case "LinearLR":
        return try LinearLR(optimizer: optimizer, startFactor: c.number("start_factor") ?? PyNumber(1.0 / 3),
                            endFactor: c.number("end_factor") ?? PyNumber(1.0), totalIters: c.int("total_iters") ?? 5,
                            lastEpoch: c.int("last_epoch") ?? -1)
    case "ExponentialLR":
        return try ExponentialLR(optimizer: optimizer, gamma: c.required("gamma", c.number("gamma")),
                                 lastEpoch: c.int("last_epoch") ?? -1)
    case "PolynomialLR":
        return try PolynomialLR(optimizer: optimizer, totalIters: c.int("total_iters") ?? 5,
                                power: c.number("power") ?? PyNumber(1.0), lastEpoch: c.int("last_epoch") ?? -1)
    case "CosineAnnealingLR":
        return try CosineAnnealingLR(optimizer: optimizer, tMax: c.required("T_max", c.int("T_max")),
                                     etaMin: c.number("eta_min") ?? PyNumber(0.0), lastEpoch: c.int("last_epoch") ?? -1)
    case "CosineAnnealingWarmRestarts":
        return try CosineAnnealingWarmRestarts(optimizer: optimizer, t0: c.required("T_0", c.int("T_0")), tMult: c.int("T_mult") ?? 1,
                                               etaMin: c.number("eta_min") ?? PyNumber(0.0),
                                               lastEpoch: c.int("last_epoch") ?? -1)
    case "CyclicLR":
        let modeName = try c.string("mode") ?? "triangular"
        guard let mode = CyclicLR.Mode(rawValue: modeName) else {
            throw c.error("mode", "expected \"triangular\", \"triangular2\" or \"exp_range\", found \"\(modeName)\"")
        }
        if let sm = try c.string("scale_mode"), sm != "cycle" && sm != "iterations" {
            throw c.error("scale_mode", "expected \"cycle\" or \"iterations\", found \"\(sm)\"")
        }
        let up = try c.number("step_size_up")?.value ?? 2000
        let down = try c.number("step_size_down", nullable: true)?.value
        return try CyclicLR(optimizer: optimizer, baseLR: c.required("base_lr", c.numberOrList("base_lr")),
                            maxLR: c.required("max_lr", c.numberOrList("max_lr")), stepSizeUp: up, stepSizeDown: down,
                            mode: mode, gamma: c.number("gamma") ?? PyNumber(1.0),
                            cycleMomentum: c.bool("cycle_momentum") ?? true,
                            baseMomentum: c.numberOrList("base_momentum") ?? [0.8],
                            maxMomentum: c.numberOrList("max_momentum") ?? [0.9], lastEpoch: c.int("last_epoch") ?? -1)
    case "OneCycleLR":
        let annealName = try c.string("anneal_strategy") ?? "cos"
        guard let anneal = OneCycleLR.Anneal(rawValue: annealName) else {
            throw c.error("anneal_strategy", "anneal_strategy must be one of 'cos' or 'linear', instead got \(annealName)")
        }
        return try OneCycleLR(optimizer: optimizer, maxLR: c.required("max_lr", c.numberOrList("max_lr")),
                              totalSteps: c.int("total_steps", expected: "an int or null", nullable: true), epochs: c.int("epochs", expected: "an int or null", nullable: true),
                              stepsPerEpoch: c.int("steps_per_epoch", expected: "an int or null", nullable: true), pctStart: c.float("pct_start") ?? 0.3,
                              annealStrategy: anneal, cycleMomentum: c.bool("cycle_momentum") ?? true,
                              baseMomentum: c.numberOrList("base_momentum") ?? [0.85],
                              maxMomentum: c.numberOrList("max_momentum") ?? [0.95],
                              divFactor: c.number("div_factor")?.value ?? 25.0,
                              finalDivFactor: c.number("final_div_factor")?.value ?? 1e4,
                              threePhase: c.bool("three_phase") ?? false, lastEpoch: c.int("last_epoch") ?? -1)
    case "ReduceLROnPlateau":
        let modeName = try c.string("mode") ?? "min"
        guard let mode = ReduceLROnPlateau.Mode(rawValue: modeName) else {
            throw c.error("mode", "mode \(modeName) is unknown!")
        }
        let tmName = try c.string("threshold_mode") ?? "rel"
        guard let tm = ReduceLROnPlateau.ThresholdMode(rawValue: tmName) else {
            throw c.error("threshold_mode", "threshold mode \(tmName) is unknown!")
        }
        var minLR = PyNumber(int: 0)
        var minLRs: [PyNumber]? = nil
        if let v = c.value("min_lr") {
            if let n = PyNumber(v) { minLR = n } else if let a = v.arrayValue, let ns = Optional(a.compactMap(PyNumber.init)),
                                                         ns.count == a.count { minLRs = ns } else {
                throw c.error("min_lr", "expected a number or a list of numbers, found \(v.kindName)")
            }
        }
        return try ReduceLROnPlateau(optimizer: optimizer, mode: mode, factor: c.number("factor") ?? PyNumber(0.1),
                                     patience: c.int("patience") ?? 10, threshold: c.number("threshold") ?? PyNumber(1e-4),
                                     thresholdMode: tm, cooldown: c.int("cooldown") ?? 0, minLR: minLR, minLRs: minLRs,
                                     eps: c.number("eps") ?? PyNumber(1e-8))
    case "SWALR":
        let annealName = try c.string("anneal_strategy") ?? "cos"
        guard let anneal = SWALR.Anneal(rawValue: annealName) else {
            throw c.error("anneal_strategy", "anneal_strategy must be one of 'cos' or 'linear', instead got \(annealName)")
        }
        let swaLR: [PyNumber]
        switch c.value("swa_lr") {
        case nil: throw c.error("swa_lr", "missing (required by SWALR)")
        case let v?:
            if let n = PyNumber(v) { swaLR = [n] } else {
                swaLR = try c.required("swa_lr", c.numbers("swa_lr"))
            }
        }
        return try SWALR(optimizer: optimizer, swaLR: swaLR,
                         annealEpochs: c.int("anneal_epochs", in: 0...Int64(Int32.max), expected: "a non-negative int") ?? 10,
                         anneal: anneal, lastEpoch: c.int("last_epoch") ?? -1)
    case "LambdaLR", "MultiplicativeLR":
        guard let v = c.value("lr_lambda") else { throw c.error("lr_lambda", "missing (required by \(type))") }
        let sources: [String]
        switch v {
        case .string(let s): sources = [s]
        case .list(let a) where a.allSatisfy({ $0.stringValue != nil }) && !a.isEmpty: sources = a.map { $0.stringValue! }
        default: throw c.error("lr_lambda", "expected an expression string or a list of them, found \(v.kindName)")
        }
        let lambdas = try sources.map { s in
            do { return LRLambda.expression(try LambdaExpression(s)) } catch let e as SchedulerError {
                throw c.error("lr_lambda", "\(e.message)")
            }
        }
        let last = try c.int("last_epoch") ?? -1
        if type == "LambdaLR" { return try LambdaLR(optimizer: optimizer, lrLambdas: lambdas, lastEpoch: last) }
        return try MultiplicativeLR(optimizer: optimizer, lrLambdas: lambdas, lastEpoch: last)
    case "SequentialLR", "ChainedScheduler":
        guard let v = c.value("schedulers") else { throw c.error("schedulers", "missing (required by \(type))") }
        guard case .list(let items) = v else {
            throw c.error("schedulers", "expected a list of scheduler objects, found \(v.kindName)")
        }
        var children: [LRScheduler] = []
        for (i, item) in items.enumerated() {
            let childPath = "\(c.path).schedulers[\(i)]"
            guard case .dict(let d) = item else { throw SchedulerError("\(childPath): expected an object, found \(item.kindName)") }
            let cc = StateDictReader(d, path: childPath)
            children.append(try buildScheduler(cc, optimizer: optimizer))
        }
        if type == "ChainedScheduler" { return try ChainedScheduler(schedulers: children, optimizer: optimizer) }
        return try SequentialLR(optimizer: optimizer, schedulers: children,
                                milestones: c.required("milestones", c.ints("milestones")),
                                lastEpoch: c.int("last_epoch") ?? -1)
    default:
        throw c.error("type", "unknown scheduler \"\(type)\" (expected one of \(schedulerTypeNames.joined(separator: ", ")))")
    }
}

/// Each type's keyword arguments, PyTorch's names and order.
private let schedulerKeys: [String: [String]] = [
    "StepLR": ["step_size", "gamma", "last_epoch"],
    "MultiStepLR": ["milestones", "gamma", "last_epoch"],
    "ConstantLR": ["factor", "total_iters", "last_epoch"],
    "LinearLR": ["start_factor", "end_factor", "total_iters", "last_epoch"],
    "ExponentialLR": ["gamma", "last_epoch"],
    "PolynomialLR": ["total_iters", "power", "last_epoch"],
    "CosineAnnealingLR": ["T_max", "eta_min", "last_epoch"],
    "CosineAnnealingWarmRestarts": ["T_0", "T_mult", "eta_min", "last_epoch"],
    "CyclicLR": ["base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma", "scale_mode",
                 "cycle_momentum", "base_momentum", "max_momentum", "last_epoch"],
    "OneCycleLR": ["max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "anneal_strategy",
                   "cycle_momentum", "base_momentum", "max_momentum", "div_factor", "final_div_factor",
                   "three_phase", "last_epoch"],
    "ReduceLROnPlateau": ["mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps"],
    "LambdaLR": ["lr_lambda", "last_epoch"],
    "MultiplicativeLR": ["lr_lambda", "last_epoch"],
    "SequentialLR": ["schedulers", "milestones", "last_epoch"],
    "ChainedScheduler": ["schedulers"],
    "SWALR": ["swa_lr", "anneal_epochs", "anneal_strategy", "last_epoch"],
]
