import CkptCore

/// `ConstantLR(optimizer, factor=1/3, total_iters=5)`: multiplies the lr by `factor` at
/// construction and by `1.0 / factor` (reciprocal computed first, as PyTorch) at
/// `total_iters`.
public final class ConstantLR: LRScheduler {
    public private(set) var factor: PyNumber
    public private(set) var totalIters: Int

    public init(optimizer: Optimizer, factor: PyNumber = PyNumber(1.0 / 3), totalIters: Int = 5, lastEpoch: Int = -1) throws {
        guard factor.value <= 1.0 && factor.value >= 0 else {
            throw SchedulerError("Constant multiplicative factor expected to be between 0 and 1.")
        }
        self.factor = factor
        self.totalIters = totalIters
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "ConstantLR" }

    public override func getLR() throws -> [Double] {
        if lastEpoch == 0 { return groupLRs.map { $0 * factor.value } }
        if lastEpoch != totalIters { return groupLRs }
        let inverse = 1.0 / factor.value
        return groupLRs.map { $0 * inverse }
    }

    public override func closedFormLR() -> [Double]? {
        let f = factor.value
        let term = lastEpoch >= totalIters ? 1 - f : 0.0
        return baseLRs.map { $0 * (f + term) }
    }

    public override func ownState() -> [(String, StateValue)] {
        [("factor", factor.stateValue), ("total_iters", .int(Int64(totalIters)))]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.number("factor") { factor = v }
        if let v = try r.int("total_iters") { totalIters = v }
    }
}
