import ArgumentParser
import Ckpt

/// `--keep-last K` and `--keep-best METRIC:MODE:N`, shared by `ckpt ls` and `ckpt prune`:
/// the run config's `checkpoint.keep_last` / `keep_best` on the command line.
struct RetentionOptions: ParsableArguments {
    @Option(name: .customLong("keep-last"), help: ArgumentHelp("Keep the K newest checkpoints.", valueName: "k"))
    var keepLast: Int?

    @Option(name: .customLong("keep-best"), help: ArgumentHelp(
        "Keep the N best checkpoints by a recorded metric: test_loss:min:1, test_accuracy:max:2, train_loss:min:1.",
        valueName: "metric:mode:n"))
    var keepBest: String?

    func validate() throws {
        if let keepLast, keepLast < 1 { throw ValidationError("--keep-last must be a positive integer, got \(keepLast)") }
        if let keepBest, RetentionPolicy.KeepBest(argument: keepBest) == nil {
            throw ValidationError("--keep-best takes METRIC:MODE:N with MODE min or max and N positive (test_loss:min:1), got \"\(keepBest)\"")
        }
    }

    /// The policy the options give; nil when neither is given.
    var policy: RetentionPolicy? {
        guard keepLast != nil || keepBest != nil else { return nil }
        return RetentionPolicy(keepLast: keepLast, keepBest: keepBest.flatMap { RetentionPolicy.KeepBest(argument: $0) })
    }
}

extension RetentionPolicy {
    /// As the options spell it: "--keep-last 3 --keep-best test_loss:min:1".
    var summary: String {
        var parts: [String] = []
        if let keepLast { parts.append("keep the last \(keepLast)") }
        if let b = keepBest { parts.append("keep the best \(b.k) by \(b.metric) (\(b.mode.rawValue))") }
        return parts.isEmpty ? "keep everything" : parts.joined(separator: ", ")
    }

    var json: StateValue {
        .dict([
            "keep_last": keepLast.map { .int(Int64($0)) } ?? .none,
            "keep_best": keepBest.map { .dict(["metric": .string($0.metric), "mode": .string($0.mode.rawValue), "k": .int(Int64($0.k))]) } ?? .none,
        ])
    }
}
