import CkptCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0.0)` (SGDR): the lr is
/// recomputed from `base_lrs` every step, `eta_min + (b - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2`,
/// restarting when `T_cur` reaches `T_i` (then `T_i *= T_mult`). As in PyTorch its `step()`
/// never runs the base step: `_step_count` stays 0 and there is no order warning.
public final class CosineAnnealingWarmRestarts: LRScheduler {
    public private(set) var t0: Int
    public private(set) var tI: Int
    public private(set) var tMult: Int
    public private(set) var etaMin: PyNumber
    public private(set) var tCur: Int

    public init(optimizer: Optimizer, t0: Int, tMult: Int = 1, etaMin: PyNumber = PyNumber(0.0), lastEpoch: Int = -1) throws {
        guard t0 > 0 else { throw SchedulerError("Expected positive integer T_0, but got \(t0)") }
        guard tMult >= 1 else { throw SchedulerError("Expected integer T_mult >= 1, but got \(tMult)") }
        self.t0 = t0
        self.tI = t0
        self.tMult = tMult
        self.etaMin = etaMin
        self.tCur = lastEpoch
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "CosineAnnealingWarmRestarts" }

    public override func getLR() throws -> [Double] {
        let eta = etaMin.value
        let c = cos(Double.pi * Double(tCur) / Double(tI))
        return baseLRs.map { eta + ($0 - eta) * (1 + c) / 2 }
    }

    public override func step() throws {
        let epoch: Int
        if lastEpoch < 0 {
            // PyTorch's step(epoch=0) path: epoch < T_0 always holds here.
            epoch = 0
            tI = t0
            tCur = 0
        } else {
            epoch = lastEpoch + 1
            tCur += 1
            if tCur >= tI {
                tCur = tCur % tI
                tI = tI * tMult
            }
        }
        lastEpoch = epoch
        let values = try getLR()
        for (i, v) in values.enumerated() { optimizer.paramGroups[i].lr = v }
        lastLR = groupLRs
    }

    public override func ownState() -> [(String, StateValue)] {
        [("T_0", .int(Int64(t0))), ("T_i", .int(Int64(tI))), ("T_mult", .int(Int64(tMult))),
         ("eta_min", etaMin.stateValue), ("T_cur", .int(Int64(tCur)))]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.int("T_0") { t0 = v }
        if let v = try r.int("T_i") { tI = v }
        if let v = try r.int("T_mult") { tMult = v }
        if let v = try r.number("eta_min") { etaMin = v }
        if let v = try r.int("T_cur") { tCur = v }
    }
}
