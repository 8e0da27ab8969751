import CkptCore

/// `MultiStepLR(optimizer, milestones, gamma=0.1)`: multiplies the lr by `gamma` at each
/// milestone. As in PyTorch the milestones are a `Counter`, so a milestone listed twice
/// multiplies by `gamma ** 2`; the state dict saves the Counter as `{"30": 1, "80": 2}`
/// (first-occurrence order, keys as decimal strings).
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
        var counter = StateDict()
        for (m, c) in milestones { counter[String(m)] = .int(Int64(c)) }
        return [("milestones", .dict(counter)), ("gamma", gamma.stateValue)]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = r.value("milestones") {
            guard case .dict(let d) = v else { throw r.mismatch("milestones", expected: "a dict (Counter)", found: v) }
            var counter: [(milestone: Int, count: Int)] = []
            for (k, c) in d {
                guard let m = Int(k), case .int(let n) = c else { throw r.mismatch("milestones", expected: "a dict of int counts", found: c) }
                counter.append((m, Int(n)))
            }
            milestones = counter
        }
        if let v = try r.number("gamma") { gamma = v }
    }
}
