import CkptCore

/// Reads and writes the momentum that CyclicLR and OneCycleLR cycle: `betas[0]` when the
/// optimizer has `betas` (Adam, AdamW), otherwise `momentum` (SGD, RMSprop), as PyTorch
/// decides from `optimizer.defaults` (for an optimizer built from bare groups, with no
/// defaults, from the first group's keys, which every group shares).
enum MomentumKey {
    static func usesBeta1(_ optimizer: Optimizer, scheduler: String) throws -> Bool {
        let keys = optimizer.defaults.isEmpty ? (optimizer.paramGroups.first?.options ?? [:]) : optimizer.defaults
        if keys["betas"] != nil { return true }
        if keys["momentum"] != nil { return false }
        throw SchedulerError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    }

    /// A fresh build's start (both schedulers' `last_epoch == -1` branch): each group's
    /// momentum is its `max_momentum`, and `max_momentum` / `base_momentum` are recorded in it.
    static func start(_ optimizer: Optimizer, max: [Double], base: [Double], beta1: Bool) {
        for i in optimizer.paramGroups.indices {
            write(max[i], into: &optimizer.paramGroups[i], beta1: beta1)
            optimizer.paramGroups[i]["max_momentum"] = .double(max[i])
            optimizer.paramGroups[i]["base_momentum"] = .double(base[i])
        }
    }

    static func write(_ value: Double, into group: inout ParamGroup, beta1: Bool) {
        if beta1 {
            var rest = Array((group["betas"]?.arrayValue ?? [.double(0), .double(0.999)]).dropFirst())
            rest.insert(.double(value), at: 0)
            group["betas"] = .tuple(rest)
        } else {
            group["momentum"] = .double(value)
        }
    }
}

/// PyTorch's `_format_param`: one value per param group, from a scalar or a list.
func formatParam(_ name: String, _ values: [Double], groups: Int) throws -> [Double] {
    if values.count == 1 { return Array(repeating: values[0], count: groups) }
    guard values.count == groups else {
        throw SchedulerError("\(name) must have the same length as optimizer.param_groups. \(name) has \(values.count) values, param_groups has \(groups).")
    }
    return values
}
