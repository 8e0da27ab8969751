import CkptCore

/// `trainer_state.json`'s history as ckpt's `progress` section (`RunProgress`'s form), so
/// `inspect` charts it and `ckpt plot` draws its lr and loss curves.
enum TrainerProgress {
    /// `epoch` (whole epochs done), `global_step`, `lr` (float64 `[global_step, groups]`) and
    /// `loss` (float32 `[global_step]`) from the `log_history` entries with a `step` and a
    /// `learning_rate` / `loss`; nil when the history logs neither. Trainer logs the first
    /// param group's lr only; every group's column holds it.
    static func progress(_ state: StateDict, groups: Int, file: String) throws -> StateDict? {
        guard let steps = state["global_step"]?.intValue, steps >= 0, steps <= 100_000_000 else {
            throw CheckpointError.malformed(file: file, path: "global_step", reason: "missing or not an int in 0...100000000")
        }
        let history = state["log_history"]?.arrayValue ?? []
        var lr: [(Int, Double)] = [], loss: [(Int, Double)] = []
        for entry in history {
            guard let e = entry.dictValue, let step = e["step"]?.intValue, step >= 1, step <= steps else { continue }
            if let v = e["learning_rate"]?.doubleValue { lr.append((Int(step), v)) }
            if let v = e["loss"]?.doubleValue { loss.append((Int(step), v)) }
        }
        guard !lr.isEmpty || !loss.isEmpty else { return nil }
        let n = Int(steps)
        let epoch = state["epoch"]?.doubleValue.map { Int64($0.rounded(.down)) } ?? 0
        return [
            "epoch": .int(max(0, epoch)),
            "global_step": .int(steps),
            "lr": .tensor(TensorData(shape: [n, max(groups, 1)], storage: .float64(filled(lr, n).flatMap { Array(repeating: $0, count: max(groups, 1)) }))),
            "loss": .tensor(TensorData(shape: [n], storage: .float32(filled(loss, n).map(Float.init)))),
        ]
    }

    /// Values for steps 1...n from logs at some steps: each step takes the next logged value
    /// at or after it, steps after the last log the last value (NaN when nothing was logged).
    static func filled(_ logs: [(Int, Double)], _ n: Int) -> [Double] {
        let sorted = logs.sorted { $0.0 < $1.0 }
        var out = [Double](repeating: sorted.last?.1 ?? .nan, count: n)
        var i = 0
        for step in 1...max(n, 1) where step <= n {
            while i < sorted.count, sorted[i].0 < step { i += 1 }
            if i < sorted.count { out[step - 1] = sorted[i].1 }
        }
        return out
    }
}
