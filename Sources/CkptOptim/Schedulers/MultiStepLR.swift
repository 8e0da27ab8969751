import CkptCore

/// `MultiStepLR(optimizer, milestones, gamma=0.1)`: multiplies the lr by `gamma` at each
/// milestone. As in PyTorch the milestones are a `Counter`, so a milestone listed twice
/// multiplies by `gamma ** 2`; the state dict saves it as PyTorch does, a `Counter` with int
/// keys in first-occurrence order (`Counter({30: 1, 80: 2})`). Loading also accepts the
/// decimal-string keys that files written before key types were recorded hold.
public final class MultiStepLR: LRScheduler {
    /// (milestone, count) in first-occurrence order: a Python `Counter`.
    public private(set) var milestones: [(milestone: Int, count: Int)]
    public private(set) var gamma: PyNumber

    public init(optimizer: Optimizer, milestones: [Int], gamma: PyNumber = PyNumber(0.1), lastEpoch: Int = -1) throws {
        var counter: [(milestone: Int, count: Int)] = []
        for m in milestones {
            if let i = counter.firstIndex(where: { $0.milestone == m }) { counter[i].count += 1 } else { counter.append((m, 1)) }
        }
        self.milestones = counter
        self.gamma = gamma
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "MultiStepLR" }

    public override func getLR() throws -> [Double] {
        guard let count = milestones.first(where: { $0.milestone == lastEpoch })?.count else { return groupLRs }
        return groupLRs.map { $0 * pyPow(gamma.value, Double(count)) }
    }

    public override func closedFormLR() -> [Double]? {
        let passed = milestones.reduce(0) { $0 + ($1.milestone <= lastEpoch ? $1.count : 0) }
        return baseLRs.map { $0 * pyPow(gamma.value, Double(passed)) }
    }

    public override func ownState() -> [(String, StateValue)] {
        let counter = StateDict(intKeys: milestones.map { (Int64($0.milestone), .int(Int64($0.count))) }, pythonClass: .counter)
        return [("milestones", .dict(counter)), ("gamma", gamma.stateValue)]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = r.value("milestones") {
            guard case .dict(let d) = v else { throw r.mismatch("milestones", expected: "a Counter", found: v) }
            var counter: [(milestone: Int, count: Int)] = []
            for (k, c) in d {
                guard let m = StateDict.intKey(k).flatMap({ Int(exactly: $0) }) else {
                    throw r.error("milestones", "expected a Counter of int milestones, found key \"\(k)\"")
                }
                guard case .int(let n) = c, let count = Int(exactly: n) else {
                    throw StateDictError.mismatch(r.key("milestones") + "/\(k)", expected: "an int count", found: c)
                }
                counter.append((m, count))
            }
            milestones = counter
        }
        if let v = try r.number("gamma") { gamma = v }
    }
}
