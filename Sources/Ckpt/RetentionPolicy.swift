/// Which checkpoints of a run directory to keep (`"checkpoint": {"keep_last": K, "keep_best":
/// {"metric": "test_loss", "mode": "min", "k": N}}`, `ckpt prune --keep-last K --keep-best
/// test_loss:min:N`). Hugging Face's `save_total_limit` and Lightning's `save_top_k` keep a
/// similar pair of rules, but in memory; this one is decided from the files alone (each
/// checkpoint records its progress and metrics), so a resume, a crash or a hand-run prune
/// decides the same way.
///
/// Rules, over the checkpoints that verify (manifest and checksums), ordered by recorded
/// progress (global step, then epoch, then name), step and epoch checkpoints alike:
/// - `newest`: the newest one is always kept, and so is the newest one `resume DIR` would pick
///   (not marked non-finite) when that is another;
/// - `keep_last K`: the K newest;
/// - `keep_best`: the N best by `metric` (a root attribute of the checkpoint; ties go to the
///   newer), among those that record it as a finite number;
/// - every other checkpoint that verifies is deleted. A file that does not verify is neither
///   kept nor deleted: it is reported and left for a person to look at.
/// With neither `keep_last` nor `keep_best` set, every checkpoint is kept.
public struct RetentionPolicy: Sendable, Equatable {
    /// `keep_best`: the `k` best checkpoints by `metric`.
    public struct KeepBest: Sendable, Equatable {
        public enum Mode: String, Sendable, Equatable, CaseIterable { case min, max }
        public var metric: String
        public var mode: Mode
        public var k: Int

        public init(metric: String, mode: Mode, k: Int) {
            self.metric = metric
            self.mode = mode
            self.k = k
        }

        /// `metric:mode:k` as `ckpt prune --keep-best` takes it (`test_loss:min:1`).
        public init?(argument: String) {
            let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, !parts[0].isEmpty, let mode = Mode(rawValue: parts[1]),
                  let k = Int(parts[2]), k > 0 else { return nil }
            self.init(metric: parts[0], mode: mode, k: k)
        }

        /// The name `ckpt ls` gives the rule: "best test_loss".
        public var ruleName: String { "best \(metric)" }

        /// True when `a` ranks before `b`.
        func better(_ a: Double, _ b: Double) -> Bool { mode == .min ? a < b : a > b }
    }

    /// Keep the `keepLast` newest checkpoints; nil: no such rule.
    public var keepLast: Int?
    public var keepBest: KeepBest?

    public init(keepLast: Int? = nil, keepBest: KeepBest? = nil) {
        self.keepLast = keepLast
        self.keepBest = keepBest
    }

    /// True when the policy deletes anything at all.
    public var isActive: Bool { keepLast != nil || keepBest != nil }

    /// One checkpoint as the policy sees it: what its file records.
    public struct Candidate: Sendable, Equatable {
        public var path: String
        public var globalStep: Int
        public var epoch: Int
        /// Marked non-finite (`Run.nonFiniteKey`): `resume DIR` skips it.
        public var nonFinite: Bool
        public var metrics: [String: Double]

        public init(path: String, globalStep: Int, epoch: Int, nonFinite: Bool = false, metrics: [String: Double] = [:]) {
            self.path = path
            self.globalStep = globalStep
            self.epoch = epoch
            self.nonFinite = nonFinite
            self.metrics = metrics
        }
    }

    /// The rules that keep each candidate (empty: deleted), in the candidates' order.
    /// The names are those `ckpt ls` prints: `newest`, `newest resumable`, `last K`, `best <metric>`.
    public func reasons(for candidates: [Candidate]) -> [[String]] {
        var reasons = Array(repeating: [String](), count: candidates.count)
        // Newest first: progress, then name (a step and an epoch file of the same state).
        let byAge = candidates.indices.sorted {
            let a = candidates[$0], b = candidates[$1]
            return (a.globalStep, a.epoch, a.path) > (b.globalStep, b.epoch, b.path)
        }
        guard let newest = byAge.first else { return reasons }
        if !isActive {
            for i in candidates.indices { reasons[i] = ["no policy"] }
        }
        reasons[newest].append("newest")
        if candidates[newest].nonFinite, let resumable = byAge.first(where: { !candidates[$0].nonFinite }) {
            reasons[resumable].append("newest resumable")
        }
        if let keepLast {
            for i in byAge.prefix(keepLast) { reasons[i].append("last \(keepLast)") }
        }
        if let best = keepBest {
            let ranked = byAge.filter { candidates[$0].metrics[best.metric]?.isFinite == true }
            // Stable sort over newest-first order: ties go to the newer checkpoint.
            let order = ranked.enumerated().sorted { x, y in
                let a = candidates[x.element].metrics[best.metric]!, b = candidates[y.element].metrics[best.metric]!
                return best.better(a, b) || (a == b && x.offset < y.offset)
            }.map(\.element)
            for i in order.prefix(best.k) { reasons[i].append(best.ruleName) }
        }
        return reasons
    }
}
