import CkptCore

/// `ExponentialLR(optimizer, gamma)`: `group['lr'] * gamma` on every step after the
/// constructor's (which, with `_is_initial`, keeps the lr).
public final class ExponentialLR: LRScheduler {
    public private(set) var gamma: PyNumber

    public init(optimizer: Optimizer, gamma: PyNumber, lastEpoch: Int = -1) throws {
        self.gamma = gamma
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "ExponentialLR" }

    public override func getLR() throws -> [Double] {
        if isInitial { return groupLRs }
        return groupLRs.map { $0 * gamma.value }
    }

    public override func closedFormLR() -> [Double]? {
        baseLRs.map { $0 * pyPow(gamma.value, Double(lastEpoch)) }
    }

    public override func ownState() -> [(String, StateValue)] { [("gamma", gamma.stateValue)] }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.number("gamma") { gamma = v }
    }
}
