/// The lr scheduler of a run with its `interval`.
public final class RunScheduler {
    /// The PyTorch-style scheduler (`getLastLR()`, `lastEpoch`, ...).
    public let scheduler: LRScheduler
    /// `.step`: stepped after every optimizer step; `.epoch` (the seed's): once per epoch.
    public let interval: SchedulerInterval

    /// Wraps a scheduler the caller built, stepped per `interval`.
    public init(_ scheduler: LRScheduler, interval: SchedulerInterval = .epoch) {
        self.scheduler = scheduler
        self.interval = interval
    }

    public var typeName: String { scheduler.typeName }
    public var stepsPerBatch: Bool { interval == .step }

    /// `scheduler.step()`; ReduceLROnPlateau receives `metric` (the others ignore it).
    public func step(metric: Double? = nil) throws { try scheduler.step(metrics: metric) }
    public func stateDict() -> StateDict { scheduler.stateDict() }
    public func loadStateDict(_ sd: StateDict) throws { try scheduler.loadStateDict(sd) }
}
