import CkptCore

/// Cross-checks a loaded checkpoint's sections against each other, so a file whose parts
/// disagree fails at load with both sides named, not later inside an optimizer step.
struct CheckpointValidator {
    let file: String

    func validate(_ c: Checkpoint) throws {
        if let o = c.optimizer { try validateOptimizer(o) }
        if let s = c.scheduler { try requireType(s, "/scheduler") }
        if let p = c.progress { try validateProgress(p, groups: c.optimizer?["param_groups"]?.arrayValue?.count) }
    }

    private func fail(_ path: String, _ reason: String) -> CheckpointError {
        .malformed(file: file, path: path, reason: reason)
    }

    private func requireType(_ d: StateDict, _ path: String) throws {
        guard let t = d["type"] else { throw CheckpointError.missing(file: file, path: path + "/type") }
        guard t.stringValue != nil else { throw fail(path + "/type", "expected a string, found \(t.kindName)") }
    }

    private func validateOptimizer(_ o: StateDict) throws {
        try requireType(o, "/optimizer")
        guard let stateValue = o["state"] else { throw CheckpointError.missing(file: file, path: "/optimizer/state") }
        guard let state = stateValue.dictValue else { throw fail("/optimizer/state", "expected a group of per-parameter groups") }
        guard let groupsValue = o["param_groups"] else {
            throw CheckpointError.missing(file: file, path: "/optimizer/param_groups")
        }
        guard case .list(let groups) = groupsValue else {
            throw fail("/optimizer/param_groups", "expected a list of groups, found \(groupsValue.kindName)")
        }
        var known = Set<Int64>()
        for (g, group) in groups.enumerated() {
            let path = "/optimizer/param_groups/\(g)"
            guard let d = group.dictValue else { throw fail(path, "expected a group, found \(group.kindName)") }
            guard let paramsValue = d["params"] else { throw CheckpointError.missing(file: file, path: path + "/params") }
            guard let params = paramsValue.arrayValue, params.allSatisfy({ if case .int = $0 { true } else { false } }) else {
                throw fail(path + "/params", "expected an int64 array, found \(paramsValue.kindName)")
            }
            for p in params {
                let i = p.intValue!
                guard known.insert(i).inserted else { throw fail(path + "/params", "parameter index \(i) appears twice") }
            }
            if let names = d["param_names"] {
                guard let n = names.arrayValue, n.count == params.count else {
                    throw fail(path + "/param_names",
                               "\(names.arrayValue?.count ?? 0) names for \(params.count) params")
                }
            }
        }
        for (key, value) in state {
            let path = "/optimizer/state/\(key)"
            guard let i = Int64(key), String(i) == key else { throw fail(path, "state keys must be parameter indices") }
            guard known.contains(i) else { throw fail(path, "parameter \(i) is in no param group's params") }
            guard value.dictValue != nil else { throw fail(path, "expected a group, found \(value.kindName)") }
        }
    }

    /// `/progress` through its one parser, `RunProgress`.
    private func validateProgress(_ p: StateDict, groups: Int?) throws {
        do {
            _ = try RunProgress(stateDict: p, groups: groups)
        } catch let e as StateDictError {
            throw fail("/" + e.key, e.message)
        }
    }
}
