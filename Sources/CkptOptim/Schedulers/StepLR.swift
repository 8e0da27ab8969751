import CkptCore

/// `torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1)`: multiplies each
/// group's lr by `gamma` every `step_size` steps (chainable: `group['lr'] * gamma`).
public final class StepLR: LRScheduler {
    public private(set) var stepSize: Int
    public private(set) var gamma: PyNumber

    public init(optimizer: Optimizer, stepSize: Int, gamma: PyNumber = PyNumber(0.1), lastEpoch: Int = -1) throws {
        self.stepSize = try SchedulerError.positive(stepSize, "step_size")
        self.gamma = gamma
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "StepLR" }

    public override func getLR() throws -> [Double] {
        if lastEpoch == 0 || pyMod(lastEpoch, stepSize) != 0 { return groupLRs }
        return groupLRs.map { $0 * gamma.value }
    }

    public override func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * pyPow(gamma.value, Double(pyFloorDiv(lastEpoch, stepSize))) }
    }

    public override func ownState() -> [(String, StateValue)] {
        [("step_size", .int(Int64(stepSize))), ("gamma", gamma.stateValue)]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.period("step_size") { stepSize = v }
        if let v = try r.number("gamma") { gamma = v }
    }
}
