import CkptCore

/// Cross-checks a loaded checkpoint's sections against each other, so a file whose parts
/// disagree fails at load with both sides named, not later inside an optimizer step.
///
/// The optimizer's structure is `OptimizerStructure`'s, the one check `ckpt verify` lists in
/// full; load throws its first problem.
struct CheckpointValidator {
    let file: String

    func validate(_ c: Checkpoint) throws {
        if let o = c.optimizer, let first = OptimizerStructure(o).problems.first { throw first.error(file: file) }
        if let s = c.scheduler { try requireType(s, "/scheduler") }
        for e in c.extraOptimizers {
            guard let o = e.optimizer else { throw fail("/" + e.path, "expected a dict with an `optimizer` dict") }
            if let first = OptimizerStructure(o, section: e.path + "/optimizer").problems.first { throw first.error(file: file) }
            if let s = e.scheduler { try requireType(s, "/\(e.path)/scheduler") }
        }
        // /progress/lr has one column per param group of all optimizers together.
        if let p = c.progress { try validateProgress(p, groups: c.paramGroupCount) }
    }

    private func fail(_ path: String, _ reason: String) -> CheckpointError {
        .malformed(file: file, path: path, reason: reason)
    }

    private func requireType(_ d: StateDict, _ path: String) throws {
        guard let t = d["type"] else { throw CheckpointError.missing(file: file, path: path + "/type") }
        guard t.stringValue != nil else { throw fail(path + "/type", "expected a string, found \(t.kindName)") }
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
