import CkptCore

/// `ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4,
/// threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)`: multiplies each group's lr by
/// `factor` (not below its `min_lr`, and only when the change exceeds `eps`) after more than
/// `patience` steps without improvement of the metric, then waits `cooldown` steps.
///
/// Like PyTorch it does not run `LRScheduler.__init__`: no `initial_lr`, no `base_lrs`, no
/// initial step; `last_epoch` starts at 0. Step it with `step(metrics:)`.
public final class ReduceLROnPlateau: LRScheduler {
    public enum Mode: String, Sendable { case min, max }
    public enum ThresholdMode: String, Sendable { case rel, abs }

    public private(set) var factor: PyNumber
    /// `None` when `min_lr` was given per group.
    public private(set) var defaultMinLR: PyNumber?
    public private(set) var minLRs: [PyNumber]
    public private(set) var patience: Int
    public private(set) var cooldown: Int
    public private(set) var eps: PyNumber
    public private(set) var modeWorse: Double = .infinity
    public private(set) var mode: Mode
    public private(set) var threshold: PyNumber
    public private(set) var thresholdMode: ThresholdMode
    public private(set) var best: Double = .infinity
    public private(set) var cooldownCounter = 0
    public private(set) var numBadEpochs = 0

    /// `minLR`: one value for every group, or one per group.
    public init(optimizer: Optimizer, mode: Mode = .min, factor: PyNumber = PyNumber(0.1), patience: Int = 10,
                threshold: PyNumber = PyNumber(1e-4), thresholdMode: ThresholdMode = .rel, cooldown: Int = 0,
                minLR: PyNumber = PyNumber(int: 0), minLRs: [PyNumber]? = nil, eps: PyNumber = PyNumber(1e-8)) throws {
        guard factor.value < 1.0 else { throw SchedulerError("Factor should be < 1.0.") }
        self.factor = factor
        let n = optimizer.paramGroups.count
        if let minLRs {
            guard minLRs.count == n else { throw SchedulerError("expected \(n) min_lrs, got \(minLRs.count)") }
            defaultMinLR = nil
            self.minLRs = minLRs
        } else {
            defaultMinLR = minLR
            self.minLRs = Array(repeating: minLR, count: n)
        }
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        super.init(withoutInitialStep: optimizer, lastEpoch: 0)
        lastLR = groupLRs
        initIsBetter()
        best = modeWorse
    }

    public override var typeName: String { "ReduceLROnPlateau" }

    func initIsBetter() { modeWorse = mode == .min ? .infinity : -.infinity }

    public var inCooldown: Bool { cooldownCounter > 0 }

    func isBetter(_ a: Double, _ best: Double) -> Bool {
        let t = threshold.value
        switch (mode, thresholdMode) {
        case (.min, .rel): return a < best * (1.0 - t)
        case (.min, .abs): return a < best - t
        case (.max, .rel): return a > best * (t + 1.0)
        case (.max, .abs): return a > best + t
        }
    }

    public override func initialStep() throws {}

    public override func step() throws {
        throw SchedulerError("ReduceLROnPlateau.step() requires a metric: call step(metrics:)")
    }

    public override func step(metrics: Double?) throws {
        guard let metrics else { return try step() }
        try step(metrics: metrics)
    }

    /// One step with the watched metric (PyTorch's `step(metrics)`).
    public func step(metrics current: Double) throws {
        lastEpoch += 1
        if isBetter(current, best) {
            best = current
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if inCooldown {
            cooldownCounter -= 1
            numBadEpochs = 0
        }
        if numBadEpochs > patience {
            try reduceLR()
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
        lastLR = groupLRs
    }

    func reduceLR() throws {
        let n = optimizer.paramGroups.count
        if n != minLRs.count {
            guard let d = defaultMinLR else {
                throw SchedulerError("The number of param groups in the `optimizer` (\(n)) differs from when `ReduceLROnPlateau` was initialized (\(minLRs.count)), usually due to a new param group being added to the optimizer. Please modify the `min_lrs` field to match the length of the `optimizer` param groups.")
            }
            minLRs = Array(repeating: d, count: n)
        }
        for i in 0..<n {
            let old = optimizer.paramGroups[i].lr
            let scaled = old * factor.value
            // Python's max(a, b) returns a unless b > a, keeping b's type (an int min_lr).
            let useMin = minLRs[i].value > scaled
            let new = useMin ? minLRs[i].value : scaled
            if old - new > eps.value {
                optimizer.paramGroups[i]["lr"] = useMin ? minLRs[i].stateValue : .double(new)
            }
        }
    }

    public override func stateDict() -> StateDict {
        [
            "type": .string(typeName),
            "factor": factor.stateValue,
            "default_min_lr": defaultMinLR?.stateValue ?? .none,
            "min_lrs": .list(minLRs.map(\.stateValue)),
            "patience": .int(Int64(patience)),
            "cooldown": .int(Int64(cooldown)),
            "eps": eps.stateValue,
            "last_epoch": .int(Int64(lastEpoch)),
            "_last_lr": .list(lastLR.map { .double($0) }),
            "mode_worse": .double(modeWorse),
            "mode": .string(mode.rawValue),
            "threshold": threshold.stateValue,
            "threshold_mode": .string(thresholdMode.rawValue),
            "best": .double(best),
            "cooldown_counter": .int(Int64(cooldownCounter)),
            "num_bad_epochs": .int(Int64(numBadEpochs)),
        ]
    }

    public override func loadStateDict(_ state: StateDict) throws {
        let r = try StateDictReader.scheduler(state, expectedType: typeName)
        if let v = try r.number("factor") { factor = v }
        if let v = state["default_min_lr"] {
            if v.isNone { defaultMinLR = nil } else if let n = PyNumber(v) { defaultMinLR = n } else {
                throw r.mismatch("default_min_lr", expected: "a number or None", found: v)
            }
        }
        if let v = try r.numbers("min_lrs") { minLRs = v }
        if let v = try r.int("patience") { patience = v }
        if let v = try r.int("cooldown") { cooldown = v }
        if let v = try r.number("eps") { eps = v }
        if let v = try r.int("last_epoch") { lastEpoch = v }
        if let v = try r.doubles("_last_lr") { lastLR = v }
        if let v = try r.string("mode") {
            guard let m = Mode(rawValue: v) else { throw SchedulerError("mode \(v) is unknown!") }
            mode = m
        }
        if let v = try r.number("threshold") { threshold = v }
        if let v = try r.string("threshold_mode") {
            guard let m = ThresholdMode(rawValue: v) else { throw SchedulerError("threshold mode \(v) is unknown!") }
            thresholdMode = m
        }
        if let v = try r.double("best") { best = v }
        if let v = try r.int("cooldown_counter") { cooldownCounter = v }
        if let v = try r.int("num_bad_epochs") { numBadEpochs = v }
        initIsBetter()
    }
}
