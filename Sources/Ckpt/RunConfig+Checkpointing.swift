/// The checkpoint-management keys of the `checkpoint` section: `keep_last`, `keep_best` and
/// `async` (docs/CONFIG.md).
extension RunConfig.Checkpointing {
    /// Parses `keep_last` (positive int | null), `keep_best` ({"metric", "mode", "k"} | null)
    /// and `async` (bool) of the section `c`.
    mutating func parseManagement(_ c: StateDictReader) throws {
        retention.keepLast = try c.positiveInt("keep_last", nullable: true)
        if c.has("keep_best"), let b = try c.dict("keep_best") {
            try b.allow(["metric", "mode", "k"])
            let metric = try b.string("metric") ?? "test_loss"
            guard CheckpointMetrics.names.contains(metric) else {
                throw b.error("metric", "expected one of \(CheckpointMetrics.names.map { "\"\($0)\"" }.joined(separator: ", ")) (the metrics a run records), found \"\(metric)\"")
            }
            let mode = try b.choice("mode", default: metric == "test_accuracy" ? RetentionPolicy.KeepBest.Mode.max : .min)
            let k = try b.positiveInt("k") ?? 1
            retention.keepBest = .init(metric: metric, mode: mode, k: k)
        } else {
            retention.keepBest = nil
        }
        async = try c.bool("async") ?? false
    }

    /// `base` (`every_epochs`, `every_steps`) plus the management keys that differ from their
    /// defaults, so configs without them save exactly as before.
    func managementJSON(_ base: StateDict) -> StateDict {
        var out = base
        if let k = retention.keepLast { out["keep_last"] = .int(Int64(k)) }
        if let b = retention.keepBest {
            out["keep_best"] = .dict(["metric": .string(b.metric), "mode": .string(b.mode.rawValue), "k": .int(Int64(b.k))])
        }
        if async { out["async"] = .bool(true) }
        return out
    }
}
