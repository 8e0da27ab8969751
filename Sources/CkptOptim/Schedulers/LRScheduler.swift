import CkptCore

/// The base of every learning-rate scheduler, mirroring `torch.optim.lr_scheduler.LRScheduler`
/// (torch 2.15).
///
/// Construction (`last_epoch == -1`) sets each group's `initial_lr` with setdefault, takes
/// `baseLRs` from it, and runs one initial step (`lastEpoch` -1 → 0, `stepCount` 1) with
/// `isInitial` set, exactly as `_initial_step`. Every later `step()` increments `lastEpoch`
/// and applies the subclass's chainable `getLR()` in double precision, in PyTorch's order of
/// operations, to `group["lr"]`. `stateDict()` is PyTorch's `state_dict()` (its `__dict__`
/// minus the optimizer) with `"type"` first; `loadStateDict` restores counters and
/// hyperparameters, never a group's lr (documented resume order: build optimizer, build
/// scheduler, load optimizer state, load scheduler state).
open class LRScheduler {
    public let optimizer: Optimizer
    /// PyTorch's `last_epoch`: the number of `step()` calls since construction (0 after it).
    public internal(set) var lastEpoch: Int
    /// PyTorch's `base_lrs`: each group's `initial_lr`.
    public internal(set) var baseLRs: [Double]
    /// PyTorch's `_step_count`.
    public internal(set) var stepCount: Int = 0
    /// PyTorch's `_is_initial`: true only inside the constructor's step.
    public internal(set) var isInitial = false
    /// PyTorch's `_last_lr`.
    public internal(set) var lastLR: [Double] = []
    /// Receives this scheduler's warnings; nil sends them to `SchedulerWarnings.handler`.
    public var warningHandler: ((String) -> Void)?

    /// PyTorch's class name ("StepLR", ...), written as the state dict's `"type"`.
    open var typeName: String { "LRScheduler" }

    /// Runs PyTorch's `LRScheduler.__init__`: `initial_lr`, `base_lrs`, then `_initial_step`.
    public init(optimizer: Optimizer, lastEpoch: Int = -1) throws {
        self.optimizer = optimizer
        if lastEpoch == -1 {
            for i in optimizer.paramGroups.indices where optimizer.paramGroups[i]["initial_lr"] == nil {
                optimizer.paramGroups[i]["initial_lr"] = optimizer.paramGroups[i]["lr"] ?? .double(0)
            }
        } else {
            for (i, group) in optimizer.paramGroups.enumerated() where group["initial_lr"] == nil {
                throw SchedulerError(
                    "param 'initial_lr' is not specified in param_groups[\(i)] when resuming scheduler "
                        + "with last_epoch >= 0.\nThis typically happens when:\n1. You're trying to resume "
                        + "training from a checkpoint but haven't properly loaded the optimizer state\n2. "
                        + "You're using last_epoch >= 0 for a fresh training run (not recommended)")
            }
        }
        baseLRs = optimizer.paramGroups.map { $0["initial_lr"]?.doubleValue ?? 0 }
        self.lastEpoch = lastEpoch
        try initialStep()
    }

    /// For schedulers that, like PyTorch's ReduceLROnPlateau, SequentialLR and
    /// ChainedScheduler, do not run `LRScheduler.__init__`: no `initial_lr`, no initial step.
    init(withoutInitialStep optimizer: Optimizer, lastEpoch: Int) {
        self.optimizer = optimizer
        self.lastEpoch = lastEpoch
        self.baseLRs = []
    }

    /// PyTorch's `_initial_step`: `_step_count = 0`, then `step()` with `_is_initial` set.
    open func initialStep() throws {
        stepCount = 0
        isInitial = true
        defer { isInitial = false }
        try step()
    }

    /// Advances the schedule by one (PyTorch's `step()` without an epoch).
    open func step() throws {
        if stepCount == 1 && optimizer.stepCalls == 0 {
            (warningHandler ?? SchedulerWarnings.handler)(SchedulerWarnings.stepOrder)
        }
        stepCount += 1
        try updateLR(epoch: nil)
    }

    /// Steps with an optional metric: ReduceLROnPlateau requires it, the others ignore it,
    /// so a training loop can step any scheduler the same way.
    open func step(metrics: Double?) throws {
        try step()
    }

    /// PyTorch's `_update_lr`: with `epoch == nil` the chainable `get_lr()`, otherwise
    /// `last_epoch = epoch` and the closed form where the class has one (SequentialLR uses
    /// `_update_lr(0)` at its milestones).
    func updateLR(epoch: Int?) throws {
        let values: [Double]
        if let epoch {
            lastEpoch = epoch
            values = try closedFormLR() ?? getLR()
        } else {
            lastEpoch += 1
            values = try getLR()
        }
        guard values.count == optimizer.paramGroups.count else {
            throw SchedulerError("\(typeName) computed \(values.count) lrs for \(optimizer.paramGroups.count) param groups")
        }
        for (i, v) in values.enumerated() { optimizer.paramGroups[i].lr = v }
        lastLR = optimizer.paramGroups.map(\.lr)
    }

    /// The chainable lrs for the current `lastEpoch` (PyTorch's `get_lr()`).
    open func getLR() throws -> [Double] {
        throw SchedulerError("NotImplementedError: \(typeName) has no get_lr()")
    }

    /// PyTorch's `_get_closed_form_lr()`, or nil when the class has none.
    open func closedFormLR() -> [Double]? { nil }

    /// PyTorch's `get_last_lr()`.
    public func getLastLR() -> [Double] { lastLR }

    /// The lrs of the groups now.
    var groupLRs: [Double] { optimizer.paramGroups.map(\.lr) }

    // MARK: state dict

    /// The subclass's own attributes, in PyTorch's `__dict__` order (before `base_lrs`).
    open func ownState() -> [(String, StateValue)] { [] }
    /// Attributes PyTorch's `state_dict()` appends after the base ones (LambdaLR's `lr_lambdas`).
    open func trailingState() -> [(String, StateValue)] { [] }
    /// Reads the subclass's attributes back (keys that are absent keep their value, as
    /// `__dict__.update` does).
    open func loadOwnState(_ state: StateDictReader) throws {}

    /// PyTorch's `state_dict()`, with `"type"` first.
    open func stateDict() -> StateDict {
        var sd: StateDict = ["type": .string(typeName)]
        for (k, v) in ownState() { sd[k] = v }
        for (k, v) in baseState() { sd[k] = v }
        for (k, v) in trailingState() { sd[k] = v }
        return sd
    }

    func baseState() -> [(String, StateValue)] {
        [("base_lrs", .list(baseLRs.map { .double($0) })),
         ("last_epoch", .int(Int64(lastEpoch))),
         ("_step_count", .int(Int64(stepCount))),
         ("_is_initial", .bool(isInitial)),
         ("_get_lr_called_within_step", .bool(false)),
         ("_last_lr", .list(lastLR.map { .double($0) }))]
    }

    /// PyTorch's `load_state_dict()`: restores counters and hyperparameters; never changes a
    /// group's lr. Throws when `"type"` names another scheduler or a value has the wrong type.
    open func loadStateDict(_ state: StateDict) throws {
        let reader = try StateDictReader.scheduler(state, expectedType: typeName)
        try loadOwnState(reader)
        try loadBaseState(reader)
    }

    func loadBaseState(_ r: StateDictReader) throws {
        if let v = try r.doubles("base_lrs") { baseLRs = v }
        if let v = try r.int("last_epoch") { lastEpoch = v }
        if let v = try r.int("_step_count") { stepCount = v }
        if let v = try r.bool("_is_initial") { isInitial = v }
        if let v = try r.doubles("_last_lr") { lastLR = v }
    }
}
