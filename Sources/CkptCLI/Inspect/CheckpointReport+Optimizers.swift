import CkptCore
import CkptFormat

extension CheckpointReport {
    /// `/optimizers` (a run's second and later optimizers): each entry shown as `optimizer`
    /// and `scheduler` are, titled by its path (`optimizers/1/optimizer: AdamW, ...`).
    func optimizers() -> Part? {
        let entries = checkpoint.extraOptimizers
        guard !entries.isEmpty else { return nil }
        var json = StateDict()
        var lines: [String] = []
        for e in entries {
            var view = self
            view.checkpoint = Checkpoint(model: checkpoint.model, optimizer: e.optimizer, scheduler: e.scheduler)
            var entry = StateDict()
            if let o = view.optimizer() {
                entry["optimizer"] = o.json
                lines += retitled(o.lines, "optimizer", e.path)
            }
            if let s = view.scheduler() {
                entry["scheduler"] = s.json
                lines += retitled(s.lines, "scheduler", e.path)
            }
            json[e.key] = .dict(entry)
        }
        return Part(json: .dict(json), lines: lines)
    }

    private func retitled(_ lines: [String], _ title: String, _ path: String) -> [String] {
        guard let first = lines.first, first.hasPrefix(title + ":") else { return lines }
        return ["\(path)/\(first)"] + lines.dropFirst()
    }
}
