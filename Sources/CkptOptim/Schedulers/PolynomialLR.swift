import CkptCore

/// `PolynomialLR(optimizer, total_iters=5, power=1.0)`: chainable
/// `lr * ((1.0 - e / T) / (1.0 - (e - 1) / T)) ** power` until `e == total_iters` (lr 0).
public final class PolynomialLR: LRScheduler {
    public private(set) var totalIters: Int
    public private(set) var power: PyNumber

    public init(optimizer: Optimizer, totalIters: Int = 5, power: PyNumber = PyNumber(1.0), lastEpoch: Int = -1) throws {
        self.totalIters = totalIters
        self.power = power
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "PolynomialLR" }

    public override func getLR() throws -> [Double] {
        if isInitial || lastEpoch > totalIters { return groupLRs }
        let t = Double(totalIters)
        let decay = pyPow((1.0 - Double(lastEpoch) / t) / (1.0 - Double(lastEpoch - 1) / t), power.value)
        return groupLRs.map { $0 * decay }
    }

    public override func closedFormLR() -> [Double]? {
        let t = Double(totalIters)
        return baseLRs.map { $0 * pyPow(1.0 - Double(min(totalIters, lastEpoch)) / t, power.value) }
    }

    public override func ownState() -> [(String, StateValue)] {
        [("total_iters", .int(Int64(totalIters))), ("power", power.stateValue)]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.int("total_iters") { totalIters = v }
        if let v = try r.number("power") { power = v }
    }
}
