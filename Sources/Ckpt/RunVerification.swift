/// `ckpt resume --verify`: does a resumed run hold exactly what an uninterrupted run holds?
///
/// Compares, in this order, and stops at the first difference: the lr history step by step
/// (each group's double, bit for bit), every model tensor, every optimizer tensor and
/// hyperparameter, then the scheduler state, all bitwise (`-0.0 != 0.0`, NaN equals NaN with
/// the same bits). Creation facts and the config text are not compared.
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

    /// Compares `run` (the resumed one) against `reference`.
    public static func compare(_ run: Checkpoint, reference: Checkpoint) -> RunVerification {
        var v = RunVerification(divergence: nil, lrSteps: 0, modelTensors: 0, optimizerTensors: 0)
        // 1. lr history, step by step.
        let lr = lrRows(run.progress), ref = lrRows(reference.progress)
        let common = min(lr.count, ref.count)
        for k in 0..<common {
            let groups = max(lr[k].count, ref[k].count)
            for g in 0..<groups {
                let a = g < lr[k].count ? lr[k][g] : nil, b = g < ref[k].count ? ref[k][g] : nil
                if a?.bitPattern != b?.bitPattern {
                    v.lrDivergence = LRDivergence(step: k, group: g, value: a, reference: b)
                    v.divergence = "lr differs at step \(k), group \(g): \(show(a)) here, \(show(b)) in the reference"
                    v.lrSteps = k
                    return v
                }
            }
        }
        v.lrSteps = common
        if lr.count != ref.count {
            v.divergence = "lr sequence identical for \(common) steps, but this run has \(lr.count) steps and the reference \(ref.count)"
            return v
        }
        // 2. model tensors.
        if let d = compareTree(run.model, reference.model, path: "model", tensors: &v.modelTensors) {
            v.divergence = d
            return v
        }
        // 3. optimizer tensors and hyperparameters.
        if let d = compareTree(run.optimizer ?? [:], reference.optimizer ?? [:], path: "optimizer", tensors: &v.optimizerTensors) {
            v.divergence = d
            return v
        }
        // 4. scheduler state.
        var ignored = 0
        switch (run.scheduler, reference.scheduler) {
        case (nil, nil): break
        case (let a?, let b?):
            if let d = compareTree(a, b, path: "scheduler", tensors: &ignored) { v.divergence = d }
        case (nil, _?): v.divergence = "scheduler: none here, one in the reference"
        case (_?, nil): v.divergence = "scheduler: one here, none in the reference"
        }
        return v
    }

    static func show(_ d: Double?) -> String { d.map { JSON.number($0) } ?? "nothing" }

    static func lrRows(_ progress: StateDict?) -> [[Double]] {
        guard let t = progress?["lr"]?.tensorValue, case .float64(let a) = t.storage, t.shape.count == 2 else { return [] }
        let g = t.shape[1]
        return (0..<t.shape[0]).map { Array(a[($0 * g)..<(($0 + 1) * g)]) }
    }

    /// The first bitwise difference between two trees, as "path: what differs"; counts tensors.
    static func compareTree(_ a: StateDict, _ b: StateDict, path: String, tensors: inout Int) -> String? {
        for key in b.keys where a[key] == nil { return "\(path)/\(key): only in the reference" }
        for (key, x) in a {
            guard let y = b[key] else { return "\(path)/\(key): not in the reference" }
            if let d = compareValue(x, y, path: "\(path)/\(key)", tensors: &tensors) { return d }
        }
        return nil
    }

    static func compareValue(_ x: StateValue, _ y: StateValue, path: String, tensors: inout Int) -> String? {
        switch (x, y) {
        case (.dict(let a), .dict(let b)):
            return compareTree(a, b, path: path, tensors: &tensors)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            guard a.count == b.count else { return "\(path): \(a.count) items here, \(b.count) in the reference" }
            for i in a.indices {
                if let d = compareValue(a[i], b[i], path: "\(path)[\(i)]", tensors: &tensors) { return d }
            }
            return nil
        case (.tensor(let a), .tensor(let b)):
            tensors += 1
            guard a.dtype == b.dtype, a.shape == b.shape else {
                return "\(path): \(a.dtype.rawValue) \(a.shape) here, \(b.dtype.rawValue) \(b.shape) in the reference"
            }
            if a.bitwiseEqual(b) { return nil }
            return "\(path): " + describeTensorDifference(a, b)
        default:
            if x.bitwiseEqual(y) { return nil }
            return "\(path): \(JSON.string(x)) here, \(JSON.string(y)) in the reference"
        }
    }

    /// Counts and magnitudes from the diff engine (`TensorComparison`, the one `ckpt diff` uses).
    static func describeTensorDifference(_ a: TensorData, _ b: TensorData) -> String {
        guard let d = TensorComparison.compare(a, b), d.differing > 0 else {
            // Equal values with different bits: -0.0 against 0.0, or NaNs with other payloads.
            return "bits differ but values compare equal (signed zeros or NaN payloads)"
        }
        var text = "\(d.differing) of \(d.count) elements differ"
        if let f = d.first {
            text += " (first at flat index \(f.index): \(JSON.number(f.a)) here, \(JSON.number(f.b)) in the reference; max abs difference \(JSON.number(d.maxAbs)))"
        }
        return text
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
