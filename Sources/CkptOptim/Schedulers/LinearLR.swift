import CkptCore

/// `LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5)`: scales the lr
/// linearly from `start_factor` to `end_factor` over `total_iters` steps, chainably:
/// `lr * (1.0 + (end - start) / (total_iters * start + (e - 1) * (end - start)))`.
public final class LinearLR: LRScheduler {
    public private(set) var startFactor: PyNumber
    public private(set) var endFactor: PyNumber
    public private(set) var totalIters: Int

    public init(optimizer: Optimizer, startFactor: PyNumber = PyNumber(1.0 / 3), endFactor: PyNumber = PyNumber(1.0),
                totalIters: Int = 5, lastEpoch: Int = -1) throws {
        guard startFactor.value <= 1.0 && startFactor.value > 0 else {
            throw SchedulerError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        }
        guard endFactor.value <= 1.0 && endFactor.value >= 0 else {
            throw SchedulerError("Ending multiplicative factor expected to be between 0 and 1.")
        }
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalIters = totalIters
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "LinearLR" }

    public override func getLR() throws -> [Double] {
        let s = startFactor.value, e = endFactor.value
        if lastEpoch == 0 { return groupLRs.map { $0 * s } }
        if isInitial || lastEpoch > totalIters { return groupLRs }
        let m = 1.0 + (e - s) / (Double(totalIters) * s + Double(lastEpoch - 1) * (e - s))
        return groupLRs.map { $0 * m }
    }

    public override func closedFormLR() -> [Double]? {
        let s = startFactor.value, e = endFactor.value
        let f = s + (e - s) * Double(min(totalIters, lastEpoch)) / Double(totalIters)
        return baseLRs.map { $0 * f }
    }

    public override func ownState() -> [(String, StateValue)] {
        [("start_factor", startFactor.stateValue), ("end_factor", endFactor.stateValue),
         ("total_iters", .int(Int64(totalIters)))]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.number("start_factor") { startFactor = v }
        if let v = try r.number("end_factor") { endFactor = v }
        if let v = try r.int("total_iters") { totalIters = v }
    }
}
