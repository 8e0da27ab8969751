import CkptCore

/// `ChainedScheduler(schedulers, optimizer=None)`: each `step()` steps every child in order,
/// so chainable children compose their multiplications. No initial step of its own (the
/// children ran theirs); does not run `LRScheduler.__init__`.
public final class ChainedScheduler: LRScheduler {
    public private(set) var schedulers: [LRScheduler]
    /// Set when a parent SequentialLR ran `_initial_step` on it (see SequentialLR).
    var initialStepAttrs = false

    public init(schedulers: [LRScheduler], optimizer: Optimizer? = nil) throws {
        guard let opt = optimizer ?? schedulers.first?.optimizer else {
            throw SchedulerError("ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
        }
        try CompositeChecks.check("ChainedScheduler", optimizer: opt, schedulers: schedulers)
        self.schedulers = schedulers
        super.init(withoutInitialStep: opt, lastEpoch: 0)
        lastLR = groupLRs
    }

    public override var typeName: String { "ChainedScheduler" }

    public override func initialStep() throws {
        initialStepAttrs = true
        stepCount = 0
        isInitial = true
        defer { isInitial = false }
        try step()
    }

    public override func step() throws {
        for s in schedulers { try s.step() }
        lastLR = groupLRs
    }

    public override func stateDict() -> StateDict {
        var sd: StateDict = ["type": .string(typeName), "_last_lr": .list(lastLR.map { .double($0) })]
        if initialStepAttrs {
            sd["_step_count"] = .int(Int64(stepCount))
            sd["_is_initial"] = .bool(isInitial)
        }
        sd["_schedulers"] = .list(schedulers.map { .dict($0.stateDict()) })
        return sd
    }

    public override func loadStateDict(_ state: StateDict) throws {
        let r = try StateDictReader.scheduler(state, expectedType: typeName)
        if let v = try r.doubles("_last_lr") { lastLR = v }
        if let v = try r.int("_step_count") { stepCount = v; initialStepAttrs = true }
        if let v = try r.bool("_is_initial") { isInitial = v }
        try CompositeChecks.loadChildren(r, into: schedulers)
    }
}
