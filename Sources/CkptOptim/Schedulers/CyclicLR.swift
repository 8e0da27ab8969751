import CkptCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
/// mode='triangular', gamma=1.0, scale_mode='cycle', cycle_momentum=True, base_momentum=0.8,
/// max_momentum=0.9)`: the cyclical policy of Smith (2017), recomputed every step
/// (not chainable). Modes `triangular`, `triangular2` and `exp_range`; custom `scale_fn`
/// callables are not supported (PyTorch does not save them either). With `cycle_momentum`
/// it cycles `momentum` (SGD, RMSprop) or `betas[0]` (Adam, AdamW) inversely.
///
/// `base_lr`, `max_lr`, `base_momentum`, `max_momentum`: one value or one per group.
public final class CyclicLR: LRScheduler {
    public enum Mode: String, Sendable { case triangular, triangular2, expRange = "exp_range" }

    public private(set) var maxLRs: [Double]
    public private(set) var totalSize: Double
    public private(set) var stepRatio: Double
    public private(set) var mode: Mode
    public private(set) var gamma: PyNumber
    public private(set) var scaleMode: String
    public private(set) var cycleMomentum: Bool
    public private(set) var useBeta1 = false
    public private(set) var baseMomentums: [Double] = []
    public private(set) var maxMomentums: [Double] = []

    public init(optimizer: Optimizer, baseLR: [Double], maxLR: [Double], stepSizeUp: Double = 2000,
                stepSizeDown: Double? = nil, mode: Mode = .triangular, gamma: PyNumber = PyNumber(1.0),
                cycleMomentum: Bool = true, baseMomentum: [Double] = [0.8], maxMomentum: [Double] = [0.9],
                lastEpoch: Int = -1) throws {
        let n = optimizer.paramGroups.count
        let baseLRs = try formatParam("base_lr", baseLR, groups: n)
        if lastEpoch == -1 {
            for i in 0..<n { optimizer.paramGroups[i].lr = baseLRs[i] }
        }
        maxLRs = try formatParam("max_lr", maxLR, groups: n)
        let down = stepSizeDown ?? stepSizeUp
        // A zero cycle divides by zero at every step (PyTorch: ZeroDivisionError); refused here.
        guard stepSizeUp > 0, down >= 0, (stepSizeUp + down).isFinite else {
            throw SchedulerError("step_size_up must be positive and step_size_down non-negative, got \(stepSizeUp) and \(down)")
        }
        totalSize = stepSizeUp + down
        stepRatio = stepSizeUp / totalSize
        self.mode = mode
        self.gamma = gamma
        scaleMode = mode == .expRange ? "iterations" : "cycle"
        self.cycleMomentum = cycleMomentum
        if cycleMomentum {
            useBeta1 = try MomentumKey.usesBeta1(optimizer, scheduler: "CyclicLR")
            baseMomentums = try formatParam("base_momentum", baseMomentum, groups: n)
            maxMomentums = try formatParam("max_momentum", maxMomentum, groups: n)
            if lastEpoch == -1 { MomentumKey.start(optimizer, max: maxMomentums, base: baseMomentums, beta1: useBeta1) }
        }
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
        self.baseLRs = baseLRs
    }

    public override var typeName: String { "CyclicLR" }

    func scale(_ x: Int) -> Double {
        switch mode {
        case .triangular: return 1.0
        case .triangular2: return 1 / pyPow(2.0, Double(x - 1))
        case .expRange: return pyPow(gamma.value, Double(x))
        }
    }

    public override func getLR() throws -> [Double] {
        let cycle = Int(floor(1 + Double(lastEpoch) / totalSize))
        let x = 1.0 + Double(lastEpoch) / totalSize - Double(cycle)
        let scaleFactor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1)
        let s = scale(scaleMode == "cycle" ? cycle : lastEpoch)
        var lrs: [Double] = []
        for (b, m) in zip(baseLRs, maxLRs) {
            let height = (m - b) * scaleFactor
            lrs.append(b + height * s)
        }
        if cycleMomentum {
            for (i, (b, m)) in zip(baseMomentums, maxMomentums).enumerated() {
                let height = (m - b) * scaleFactor
                MomentumKey.write(m - height * s, into: &optimizer.paramGroups[i], beta1: useBeta1)
            }
        }
        return lrs
    }

    public override func ownState() -> [(String, StateValue)] {
        var s: [(String, StateValue)] = [
            ("max_lrs", .list(maxLRs.map { .double($0) })),
            ("total_size", .double(totalSize)),
            ("step_ratio", .double(stepRatio)),
            ("mode", .string(mode.rawValue)),
            ("gamma", gamma.stateValue),
            ("scale_mode", .string(scaleMode)),
            ("cycle_momentum", .bool(cycleMomentum)),
        ]
        if cycleMomentum {
            s += [("use_beta1", .bool(useBeta1)),
                  ("base_momentums", .list(baseMomentums.map { .double($0) })),
                  ("max_momentums", .list(maxMomentums.map { .double($0) }))]
        }
        return s
    }

    public override func trailingState() -> [(String, StateValue)] { [("_scale_fn_custom", .none)] }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.doubles("max_lrs") { maxLRs = v }
        if let v = try r.double("total_size") {
            guard v > 0, v.isFinite else { throw r.error("total_size", "expected a positive number, found \(v)") }
            totalSize = v
        }
        if let v = try r.double("step_ratio") {
            guard v > 0, v <= 1 else { throw r.error("step_ratio", "expected a number in (0, 1], found \(v)") }
            stepRatio = v
        }
        if let v = try r.string("mode") {
            guard let m = Mode(rawValue: v) else { throw SchedulerError("CyclicLR state 'mode': unknown mode '\(v)'") }
            mode = m
        }
        if let v = try r.number("gamma") { gamma = v }
        if let v = try r.string("scale_mode") { scaleMode = v }
        if let v = try r.bool("cycle_momentum") { cycleMomentum = v }
        if let v = try r.bool("use_beta1") { useBeta1 = v }
        if let v = try r.doubles("base_momentums") { baseMomentums = v }
        if let v = try r.doubles("max_momentums") { maxMomentums = v }
        if let v = r.value("_scale_fn_custom"), !v.isNone {
            throw SchedulerError("CyclicLR state '_scale_fn_custom': custom scale functions are not supported")
        }
        // PyTorch's load re-runs _init_scale_fn, which resets scale_mode from the mode.
        scaleMode = mode == .expRange ? "iterations" : "cycle"
    }
}
