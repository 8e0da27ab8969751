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
        try super.initialStep()
    }

    public override func step() throws {
        for s in schedulers { try s.step() }
        lastLR = groupLRs
    }

    public override func stateDict() -> StateDict {
        var sd: StateDict = ["type": .string(typeName), "_last_lr": .list(lastLR.map { .double($0) })]
        CompositeChecks.appendState(of: self, children: schedulers, initialStepAttrs: initialStepAttrs, to: &sd)
        return sd
    }

    public override func loadStateDict(_ state: StateDict) throws {
        let r = try StateDictReader.scheduler(state, expectedType: typeName)
        if let v = try r.doubles("_last_lr") { lastLR = v }
        if try CompositeChecks.loadState(r, into: self, children: schedulers) { initialStepAttrs = true }
    }
}
