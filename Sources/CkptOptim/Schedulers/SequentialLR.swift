import CkptCore

/// `SequentialLR(optimizer, schedulers, milestones)`: runs `schedulers[i]` between
/// milestones `i-1` and `i`. As PyTorch 2.15 it resets every group lr to `initial_lr`,
/// steps each (nested) child's `last_epoch` back by one, runs the initial step of the child
/// active at epoch 0, and at each milestone restarts the new child with `_update_lr(0)` (its
/// closed form where it has one). It does not run `LRScheduler.__init__`.
public final class SequentialLR: LRScheduler {
    public private(set) var schedulers: [LRScheduler]
    public private(set) var milestones: [Int]
    /// Set when a parent SequentialLR ran `_initial_step` on this scheduler, which adds
    /// `_step_count` / `_is_initial` to its `__dict__` (and so to its state dict).
    var initialStepAttrs = false

    public init(optimizer: Optimizer, schedulers: [LRScheduler], milestones: [Int], lastEpoch: Int = -1) throws {
        try CompositeChecks.check("SequentialLR", optimizer: optimizer, schedulers: schedulers)
        guard milestones.count == schedulers.count - 1 else {
            throw SchedulerError("Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers \(schedulers.count) and the number of milestones to be equal to \(milestones.count)")
        }
        self.schedulers = schedulers
        self.milestones = milestones
        super.init(withoutInitialStep: optimizer, lastEpoch: lastEpoch + 1)
        for i in optimizer.paramGroups.indices {
            guard let initial = optimizer.paramGroups[i]["initial_lr"] else {
                throw SchedulerError("KeyError: 'initial_lr' (param_groups[\(i)])")
            }
            optimizer.paramGroups[i]["lr"] = initial
        }
        for s in schedulers { CompositeChecks.recursiveUndo(s) }
        let idx = bisectRight(milestones, 0)
        try schedulers[idx].initialStep()
        lastLR = schedulers[idx].getLastLR()
    }

    public override var typeName: String { "SequentialLR" }

    func bisectRight(_ a: [Int], _ x: Int) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if x < a[mid] { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    public override func initialStep() throws {
        initialStepAttrs = true
        try super.initialStep()
    }

    public override func step() throws {
        lastEpoch += 1
        let idx = bisectRight(milestones, lastEpoch)
        let scheduler = schedulers[idx]
        if idx > 0 && milestones[idx - 1] == lastEpoch {
            try scheduler.updateLR(epoch: 0)
        } else {
            try scheduler.step()
        }
        lastLR = scheduler.getLastLR()
    }

    public override func stateDict() -> StateDict {
        var sd: StateDict = [
            "type": .string(typeName),
            "_milestones": .list(milestones.map { .int(Int64($0)) }),
            "last_epoch": .int(Int64(lastEpoch)),
            "_last_lr": .list(lastLR.map { .double($0) }),
        ]
        CompositeChecks.appendState(of: self, children: schedulers, initialStepAttrs: initialStepAttrs, to: &sd)
        return sd
    }

    public override func loadStateDict(_ state: StateDict) throws {
        let r = try StateDictReader.scheduler(state, expectedType: typeName)
        if let v = try r.ints("_milestones") { milestones = v }
        if let v = try r.int("last_epoch") { lastEpoch = v }
        if let v = try r.doubles("_last_lr") { lastLR = v }
        if try CompositeChecks.loadState(r, into: self, children: schedulers) { initialStepAttrs = true }
    }
}

/// What SequentialLR and ChainedScheduler share: PyTorch's constructor checks,
/// `recursive_undo`, and the tail of their state dicts (the attributes a parent's
/// `_initial_step` adds, then the children's states).
enum CompositeChecks {
    static func check(_ name: String, optimizer: Optimizer, schedulers: [LRScheduler]) throws {
        guard !schedulers.isEmpty else {
            throw SchedulerError(name == "SequentialLR"
                ? "SequentialLR expects at least one scheduler, but got no scheduler."
                : "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.")
        }
        for (i, s) in schedulers.enumerated() {
            if s is ReduceLROnPlateau {
                throw SchedulerError("\(name) does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs to be specified when calling `step`, but got one at index \(i) in the given schedulers sequence.")
            }
            if s.optimizer !== optimizer {
                throw SchedulerError("\(name) expects all schedulers to belong to the same optimizer, but got scheduler \(s.typeName) at index \(i) has a different optimizer.")
            }
        }
    }

    static func recursiveUndo(_ s: LRScheduler) {
        if let seq = s as? SequentialLR {
            for c in seq.schedulers { recursiveUndo(c) }
        } else if let chain = s as? ChainedScheduler {
            for c in chain.schedulers { recursiveUndo(c) }
        } else {
            s.lastEpoch -= 1
        }
    }

    /// `_step_count` / `_is_initial` when a parent SequentialLR ran `_initial_step` on
    /// `scheduler` (they are then in its `__dict__`), then `_schedulers`.
    static func appendState(of scheduler: LRScheduler, children: [LRScheduler], initialStepAttrs: Bool,
                            to sd: inout StateDict) {
        if initialStepAttrs {
            sd["_step_count"] = .int(Int64(scheduler.stepCount))
            sd["_is_initial"] = .bool(scheduler.isInitial)
        }
        sd["_schedulers"] = .list(children.map { .dict($0.stateDict()) })
    }

    /// Reads back what `appendState` wrote; true when the state holds `_step_count` (the
    /// scheduler then writes the initial-step attributes again).
    static func loadState(_ r: StateDictReader, into scheduler: LRScheduler, children: [LRScheduler]) throws -> Bool {
        let stepCount = try r.int("_step_count")
        if let stepCount { scheduler.stepCount = stepCount }
        if let v = try r.bool("_is_initial") { scheduler.isInitial = v }
        try loadChildren(r, into: children)
        return stepCount != nil
    }

    static func loadChildren(_ r: StateDictReader, into schedulers: [LRScheduler]) throws {
        guard let v = r.value("_schedulers") else { return }
        guard let list = v.arrayValue else { throw r.mismatch("_schedulers", expected: "a list of state dicts", found: v) }
        guard list.count == schedulers.count else {
            throw r.error("_schedulers", "holds \(list.count) schedulers, the scheduler has \(schedulers.count)")
        }
        for (i, item) in list.enumerated() {
            guard let d = item.dictValue else { throw r.mismatch("_schedulers", expected: "a list of state dicts", found: item) }
            do {
                try schedulers[i].loadStateDict(d)
            } catch var e as StateDictError where e.key.hasPrefix("scheduler") {
                e.key = r.key("_schedulers/\(i)") + e.key.dropFirst("scheduler".count)
                throw e
            } catch let e as SchedulerError {
                throw SchedulerError("\(r.key("_schedulers/\(i)")): \(e.message)")
            }
        }
    }
}
