/// The metrics a training checkpoint records about the state it holds, as root attributes
/// (float64) beside `config`: `train_loss` (the mean loss of the epoch's steps, as the seed
/// prints it), `test_loss` and `test_accuracy` (a fraction, 0...1) of the saved weights on the
/// test set. The trainer writes them into epoch checkpoints and into a checkpoint of the same
/// state (an interrupt right after an epoch), where they were measured; mid-epoch step
/// checkpoints record none (nothing was measured on their weights). Retention ranks by them
/// (`RetentionPolicy.KeepBest`), and `ckpt ls` shows them, from the files alone.
public enum CheckpointMetrics {
    /// The metrics `Trainer` records, in the order `ckpt ls` shows them.
    public static let names = ["train_loss", "test_loss", "test_accuracy"]

    /// The numeric root attributes of `metadata` named `names` (or `extra`), as doubles.
    public static func read(_ metadata: StateDict, extra: [String] = []) -> [String: Double] {
        var out: [String: Double] = [:]
        for name in names + extra {
            guard let v = metadata[name] else { continue }
            switch v {
            case .double(let d): out[name] = d
            case .int(let i): out[name] = Double(i)
            default: continue
            }
        }
        return out
    }

    /// `metrics` added to `metadata` as float64 root attributes, in `names` order.
    public static func record(_ metrics: [String: Double], into metadata: inout StateDict) {
        for name in names + metrics.keys.sorted() where metadata[name] == nil {
            if let v = metrics[name] { metadata[name] = .double(v) }
        }
    }
}
