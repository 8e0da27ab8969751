/// `ckpt resume --verify`: does a resumed run hold exactly what an uninterrupted run holds?
///
/// Compares, in this order, and stops at the first difference: the lr history step by step
/// (each group's double, bit for bit), every model tensor, every optimizer tensor and
/// hyperparameter, then the scheduler state, all bitwise (`-0.0 != 0.0`, NaN equals NaN with
/// the same bits). Creation facts and the config text are not compared. The comparison is
/// `ckpt diff`'s engine with `Tolerance.bitwise`; this type only orders and words its result.
public struct RunVerification: Sendable, Equatable {
    /// The first difference found, nil when everything matched.
    public var divergence: String?
    /// Steps whose lrs matched (all of them when identical).
    public var lrSteps: Int
    public var modelTensors: Int
    public var optimizerTensors: Int
    /// The first diverging lr: step (0-based), group, the value here and in the reference
    /// (nil where one run has no such step or group).
    public struct LRDivergence: Sendable, Equatable {
        public var step: Int
        public var group: Int
        public var value: Double?
        public var reference: Double?
    }
    public var lrDivergence: LRDivergence?

    public var identical: Bool { divergence == nil }

    /// The one-line verdict: "lr sequence identical for N steps; 10 model tensors and 20
    /// optimizer tensors bit-identical; scheduler state identical", or the first divergence.
    public var summary: String {
        if let divergence { return divergence }
        return "lr sequence identical for \(lrSteps) steps; \(modelTensors) model tensors and \(optimizerTensors) optimizer tensors bit-identical; scheduler state identical"
    }

    /// The sections compared, in this order, after the lr history.
    static let sections = ["model", "optimizer", "scheduler"]

    /// Compares `run` (the resumed one) against `reference` with the diff engine
    /// (`CheckpointDiff`, bitwise), and reports its first difference in the order above.
    public static func compare(_ run: Checkpoint, reference: Checkpoint) -> RunVerification {
        let diff = CheckpointDiff(run, reference, options: DiffOptions(
            tolerance: .bitwise, exclude: ["metadata", "rng", "progress/loss", "progress/epoch", "progress/global_step", "progress/batch"]))
        var v = RunVerification(divergence: nil, lrSteps: 0, modelTensors: 0, optimizerTensors: 0)
        v.modelTensors = diff.tensors.filter { $0.path.hasPrefix("model/") }.count
        v.optimizerTensors = diff.tensors.filter { $0.path.hasPrefix("optimizer/") }.count
        // 1. lr history, step by step.
        if let lr = diff.histories.first(where: { $0.path == "progress/lr" }) {
            let common = min(lr.stepsA, lr.stepsB)
            if let f = lr.first, f.step <= common {
                let k = f.step - 1
                v.lrDivergence = LRDivergence(step: k, group: f.group, value: f.a, reference: f.b)
                v.divergence = "lr differs at step \(k), group \(f.group): \(show(f.a)) here, \(show(f.b)) in the reference"
                v.lrSteps = k
                return v
            }
            v.lrSteps = common
            if lr.stepsA != lr.stepsB {
                v.divergence = "lr sequence identical for \(common) steps, but this run has \(lr.stepsA) steps and the reference \(lr.stepsB)"
                return v
            }
            if lr.groupsA != lr.groupsB {
                v.divergence = "lr history has \(lr.groupsA) param groups here, \(lr.groupsB) in the reference"
                return v
            }
        }
        // 2.-4. model, optimizer, scheduler: the first difference of each, in walk order.
        for section in sections {
            let prefix = section + "/"
            let tensor = diff.tensors.first { $0.isDifference && $0.path.hasPrefix(prefix) }
            let value = diff.values.first { $0.differs && $0.path.hasPrefix(prefix) }
            switch (tensor, value) {
            case (let t?, let x?) where t.ordinal < x.ordinal: v.divergence = describe(t)
            case (let t?, nil): v.divergence = describe(t)
            case (_, let x?): v.divergence = describe(x)
            case (nil, nil): continue
            }
            return v
        }
        return v
    }

    static func show(_ d: Double?) -> String { d.map { JSON.number($0) } ?? "nothing" }

    static func describe(_ e: CheckpointDiff.ValueEntry) -> String {
        switch (e.a, e.b) {
        case (nil, _): "\(e.path): only in the reference"
        case (_, nil): "\(e.path): not in the reference"
        case (let a?, let b?): "\(e.path): \(JSON.string(a)) here, \(JSON.string(b)) in the reference"
        }
    }

    /// A differing tensor, with counts and magnitudes from the diff engine.
    static func describe(_ e: CheckpointDiff.TensorEntry) -> String {
        guard let a = e.a else { return "\(e.path): only in the reference" }
        guard let b = e.b else { return "\(e.path): not in the reference" }
        guard a == b else {
            return "\(e.path): \(a.dtype.rawValue) \(a.shape) here, \(b.dtype.rawValue) \(b.shape) in the reference"
        }
        guard let d = e.difference, let f = d.first else {
            // Equal values with different bits: -0.0 against 0.0, or NaNs with other payloads.
            return "\(e.path): bits differ but values compare equal (signed zeros or NaN payloads)"
        }
        return "\(e.path): \(d.differing) of \(d.count) elements differ (first at flat index \(f.index): \(JSON.number(f.a)) here, \(JSON.number(f.b)) in the reference; max abs difference \(JSON.number(d.maxAbs)))"
    }

    /// The verdict as JSON: `{"identical": bool, "lr_steps": n, "model_tensors": n,
    /// "optimizer_tensors": n, "divergence": text|null, "lr_divergence": {step, group, value, reference}|null}`.
    public var json: StateValue {
        var d: StateDict = [
            "identical": .bool(identical), "lr_steps": .int(Int64(lrSteps)),
            "model_tensors": .int(Int64(modelTensors)), "optimizer_tensors": .int(Int64(optimizerTensors)),
            "divergence": divergence.map { .string($0) } ?? .none,
        ]
        if let l = lrDivergence {
            d["lr_divergence"] = .dict([
                "step": .int(Int64(l.step)), "group": .int(Int64(l.group)),
                "value": l.value.map { .double($0) } ?? .none, "reference": l.reference.map { .double($0) } ?? .none,
            ])
        } else {
            d["lr_divergence"] = StateValue.none
        }
        return .dict(d)
    }
}
