import CkptCore

/// Builds an optimizer from a run config's `optimizer` object:
/// `{"type": "SGD", "lr": 0.001, "momentum": 0.9,
///   "param_groups": null | [{"params": ["conv*", "fc1.*"], "lr": 0.01}, ...]}`.
///
/// Top-level keys other than `type` and `param_groups` are the constructor's keyword
/// arguments; a group's keys override them for that group. `params` holds name globs
/// (`Glob`, as `fnmatch`); every parameter must match exactly one group and every group at
/// least one parameter, otherwise the error lists the names. Groups keep the parameters in
/// `parameters` order. Without `param_groups` one group holds all parameters. Errors name the
/// key path: `optimizer.momentun: unknown key for SGD (did you mean momentum?)`.
public func makeOptimizer(config: StateDict, parameters: [Parameter]) throws -> Optimizer {
    let (type, options, groupConfigs) = try parseOptimizerConfig(config)
    guard let groupConfigs else {
        return try type.init(groups: [ParamGroup(params: parameters, options: [:])], options: options)
    }
    var members = [[Parameter]](repeating: [], count: groupConfigs.count)
    var unmatched: [String] = [], doubly: [String] = []
    for p in parameters {
        let hits = groupConfigs.indices.filter { i in groupConfigs[i].globs.contains { $0.matches(p.name) } }
        if hits.isEmpty { unmatched.append(p.name) }
        if hits.count > 1 { doubly.append("\(p.name) (groups \(hits.map(String.init).joined(separator: ", ")))") }
        if let first = hits.first { members[first].append(p) }
    }
    var problems: [String] = []
    if !unmatched.isEmpty { problems.append("parameters matching no group: \(unmatched.joined(separator: ", "))") }
    if !doubly.isEmpty { problems.append("parameters matching more than one group: \(doubly.joined(separator: "; "))") }
    for (i, g) in groupConfigs.enumerated() where members[i].isEmpty {
        problems.append("optimizer.param_groups[\(i)].params \(g.globs.map(\.pattern)) match no parameter")
    }
    if !problems.isEmpty {
        throw OptimizerError(.config, "optimizer.param_groups: " + problems.joined(separator: "; "))
    }
    let groups = zip(members, groupConfigs).map { ParamGroup(params: $0, options: $1.options) }
    return try type.init(groups: groups, options: options)
}

/// The `ckpt schedule` variant: no model, so each `param_groups` entry is one group (its
/// `params`, if any, are ignored) holding one 1-element parameter named `group<i>`; without
/// `param_groups`, one group. Checks keys and types as `makeOptimizer` does.
public func makeScheduleOptimizer(config: StateDict) throws -> Optimizer {
    let (type, options, groupConfigs) = try parseOptimizerConfig(config, paramsRequired: false)
    let dummy = { (i: Int) in Parameter(name: "group\(i)", value: Tensor(shape: [1])) }
    let groups = (groupConfigs ?? [GroupConfig(globs: [], options: [:])]).enumerated().map {
        ParamGroup(params: [dummy($0.offset)], options: $0.element.options)
    }
    return try type.init(groups: groups, options: options)
}

struct GroupConfig {
    var globs: [Glob]
    var options: StateDict
}

func parseOptimizerConfig(_ config: StateDict, paramsRequired: Bool = true) throws
    -> (any ConfigurableOptimizer.Type, StateDict, [GroupConfig]?)
{
    guard let typeValue = config["type"] else {
        throw OptimizerError(.config, "optimizer.type: missing (one of \(optimizerTypes.keys.sorted().joined(separator: ", ")))")
    }
    guard case .string(let typeName) = typeValue else {
        throw OptimizerError(.config, "optimizer.type: expected a string, found \(typeValue.kindName)")
    }
    guard let type = optimizerTypes[typeName] else {
        let hint = didYouMean(typeName, Array(optimizerTypes.keys)).map { " (did you mean \($0)?)" } ?? ""
        throw OptimizerError(.config,
            "optimizer.type: unknown optimizer '\(typeName)'\(hint); known: \(optimizerTypes.keys.sorted().joined(separator: ", "))")
    }
    let defaults = type.defaultOptions
    func checked(_ key: String, _ value: StateValue, path: String) throws -> StateValue {
        guard let d = defaults[key] else {
            let hint = didYouMean(key, defaults.keys + ["param_groups", "type"]).map { " (did you mean \($0)?)" } ?? ""
            throw OptimizerError(.config, "\(path).\(key): unknown key for \(typeName)\(hint)")
        }
        if typeName == "AdamW" && key == "decoupled_weight_decay" {
            throw OptimizerError(.config, "\(path).\(key): AdamW always decouples weight decay; use Adam to choose")
        }
        do {
            return try Optimizer.normalizedOption(key, value, like: d, type: typeName)
        } catch let e as OptimizerError {
            throw OptimizerError(.config, "\(path).\(e.message)")
        }
    }
    var options = StateDict()
    var groupsValue: StateValue = .none
    for (key, value) in config where key != "type" {
        if key == "param_groups" { groupsValue = value; continue }
        options[key] = try checked(key, value, path: "optimizer")
    }
    var merged = defaults
    for (k, v) in options { merged[k] = v }
    do { try type.validate(merged) } catch let e as OptimizerError {
        throw OptimizerError(.config, "\(keyPath("optimizer", e.key)): \(e.message)")
    }
    if groupsValue.isNone { return (type, options, nil) }
    guard case .list(let entries) = groupsValue else {
        throw OptimizerError(.config, "optimizer.param_groups: expected a list or null, found \(groupsValue.kindName)")
    }
    if entries.isEmpty { throw OptimizerError(.config, "optimizer.param_groups: empty list (use null for one group)") }
    var groups: [GroupConfig] = []
    for (i, entry) in entries.enumerated() {
        let path = "optimizer.param_groups[\(i)]"
        guard case .dict(let g) = entry else {
            throw OptimizerError(.config, "\(path): expected an object, found \(entry.kindName)")
        }
        var globs: [Glob] = []
        var groupOptions = StateDict()
        for (key, value) in g {
            if key == "params" {
                switch value {
                case .string(let s): globs = [Glob(s)]
                case .list(let a) where a.allSatisfy({ $0.stringValue != nil }) && !a.isEmpty:
                    globs = a.map { Glob($0.stringValue!) }
                default:
                    throw OptimizerError(.config, "\(path).params: expected a non-empty list of name patterns, found \(value.kindName)")
                }
                continue
            }
            groupOptions[key] = try checked(key, value, path: path)
        }
        if globs.isEmpty && paramsRequired {
            throw OptimizerError(.config, "\(path).params: missing (a list of parameter name patterns such as [\"conv*\"])")
        }
        var m = merged
        for (k, v) in groupOptions { m[k] = v }
        do { try type.validate(m) } catch let e as OptimizerError {
            throw OptimizerError(.config, "\(keyPath(path, e.key)): \(e.message)")
        }
        groups.append(GroupConfig(globs: globs, options: groupOptions))
    }
    return (type, options, groups)
}

/// `optimizer.lr` when the validator named the key, else the section alone.
private func keyPath(_ path: String, _ key: String?) -> String {
    key.map { "\(path).\($0)" } ?? path
}

/// The closest candidate within a small edit distance, for "did you mean ...?".
func didYouMean(_ word: String, _ candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var prev = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var cur = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return a.isEmpty ? b.count : prev[b.count]
    }
    let w = Array(word.lowercased())
    let best = candidates.map { ($0, distance(w, Array($0.lowercased()))) }.min { $0.1 < $1.1 }
    guard let (name, d) = best, d <= max(2, word.count / 3) else { return nil }
    return name
}
