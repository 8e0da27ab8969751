import CkptCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `CosineAnnealingLR(optimizer, T_max, eta_min=0.0)`: PyTorch's chainable cosine
/// recursion `(1 + cos(pi * e / T_max)) / (1 + cos(pi * (e - 1) / T_max)) * (lr - eta_min) + eta_min`,
/// with its special case at the bottom of each period and its closed-form jump on the first
/// step after building with `last_epoch > 0`. Not clamped: after `T_max` the lr rises again.
public final class CosineAnnealingLR: LRScheduler {
    public private(set) var tMax: Int
    public private(set) var etaMin: PyNumber

    public init(optimizer: Optimizer, tMax: Int, etaMin: PyNumber = PyNumber(0.0), lastEpoch: Int = -1) throws {
        self.tMax = try SchedulerError.positive(tMax, "T_max")
        self.etaMin = etaMin
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "CosineAnnealingLR" }

    public override func getLR() throws -> [Double] {
        let eta = etaMin.value, t = Double(tMax), e = Double(lastEpoch)
        if isInitial { return groupLRs }
        if stepCount == 1 && lastEpoch > 0 {
            return baseLRs.map { eta + ($0 - eta) * (1 + cos(e * Double.pi / t)) / 2 }
        }
        if pyMod(lastEpoch - 1 - tMax, 2 * tMax) == 0 {
            return zip(baseLRs, groupLRs).map { b, lr in lr + (b - eta) * (1 - cos(Double.pi / t)) / 2 }
        }
        let ratio = (1 + cos(Double.pi * e / t)) / (1 + cos(Double.pi * Double(lastEpoch - 1) / t))
        return groupLRs.map { ratio * ($0 - eta) + eta }
    }

    public override func closedFormLR() -> [Double]? {
        let eta = etaMin.value
        return baseLRs.map { eta + ($0 - eta) * (1 + cos(Double.pi * Double(lastEpoch) / Double(tMax))) / 2 }
    }

    public override func ownState() -> [(String, StateValue)] {
        [("T_max", .int(Int64(tMax))), ("eta_min", etaMin.stateValue)]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.period("T_max") { tMax = v }
        if let v = try r.number("eta_min") { etaMin = v }
    }
}
