import CkptCore

/// Everything one checkpoint file holds, section by section (format v1, `docs/FORMAT.md`).
///
/// Each section is a `StateDict` in PyTorch's structure, so a checkpoint has one code path
/// for save, load, inspect and diff:
/// - `model`: parameter name → `.tensor`, in `model.state_dict()` order.
/// - `optimizer`: `["type": "SGD", "state": {0: {...}, ...}, "param_groups": [{..., "params": [0, 1]}]]`
///   (`type` first, then `optimizer.state_dict()`'s keys; `state` has int keys).
/// - `scheduler`: `["type": "StepLR", <scheduler.state_dict() keys>]`; children of
///   SequentialLR / ChainedScheduler are dicts in `_schedulers`, each with its own `type`;
///   MultiStepLR's `milestones` is a `Counter` with int keys.
///
/// Setting `optimizer` or `scheduler` gives those two places PyTorch's key types when they
/// arrive with decimal-string keys (`PyTorchKeyTypes`), so a file from before key types were
/// recorded loads as the same checkpoint as a file written now.
/// - `progress`: `epoch` (int, completed epochs), `global_step` (int, optimizer steps),
///   `lr` (float64 tensor `[global_step, groups]`), `loss` (float32 tensor `[global_step]`),
///   and where a run stopped mid-epoch, `batch` (int, batches done in the current epoch).
/// - `rng`: every random state that affects what happens next.
/// - `averaged_model`: a run's weight average (SWA / EMA) as PyTorch's
///   `AveragedModel.state_dict()`: `n_averaged` (0-d int64 tensor), then `module.<name>`.
/// - `swa_scheduler`: SWA's `SWALR` state dict (`type` first), beside the run's `scheduler`.
/// - `optimizers`: a run's second and later optimizers (Muon + AdamW, a GAN's two):
///   `{"1": {"optimizer": <state dict>, "scheduler": <state dict>}, "2": ...}`, keyed by the
///   position in the run config's `optimizers` list (`optimizer` / `scheduler` hold the first,
///   so a one-optimizer file has no such section; see `extraOptimizers`).
/// - `metadata`: the root attributes (`format`, `format_version`, `created_by`,
///   `created_at`, `config`); `CheckpointFile.save` fills the first four.
public struct Checkpoint: Sendable, Equatable {
    public var metadata: StateDict
    public var model: StateDict
    public var optimizer: StateDict? { didSet { optimizer = PyTorchKeyTypes.optimizer(optimizer) } }
    public var scheduler: StateDict? { didSet { scheduler = PyTorchKeyTypes.scheduler(scheduler) } }
    public var progress: StateDict?
    public var rng: StateDict?
    public var averagedModel: StateDict?
    public var swaScheduler: StateDict?
    public var optimizers: StateDict?

    public init(
        metadata: StateDict = [:], model: StateDict, optimizer: StateDict? = nil,
        scheduler: StateDict? = nil, progress: StateDict? = nil, rng: StateDict? = nil,
        averagedModel: StateDict? = nil, swaScheduler: StateDict? = nil, optimizers: StateDict? = nil
    ) {
        self.metadata = metadata
        self.model = model
        self.optimizer = PyTorchKeyTypes.optimizer(optimizer)
        self.scheduler = PyTorchKeyTypes.scheduler(scheduler)
        self.progress = progress
        self.rng = rng
        self.averagedModel = averagedModel
        self.swaScheduler = swaScheduler
        self.optimizers = optimizers
    }

    /// The run config (root attribute `config`, JSON text) when training wrote it.
    public var config: String? {
        get { metadata["config"]?.stringValue }
        set { metadata["config"] = newValue.map { .string($0) } }
    }
}

extension Checkpoint {
    /// The state sections' group names in file order (`metadata`, the root attributes, aside):
    /// the one list a new section joins. `sections`, `updateSections` and `section(named:)`
    /// follow it; the writer writes the groups in this order.
    public static let sectionNames = ["model", "optimizer", "scheduler", "progress", "rng",
                                      "averaged_model", "swa_scheduler", "optimizers"]

    /// The sections present, with their group names, in file order.
    public var sections: [(name: String, dict: StateDict)] {
        Self.sectionNames.compactMap { name in section(named: name).map { (name, $0) } }
    }

    /// Every tensor of the state sections.
    public var tensorCount: Int { sections.reduce(0) { $0 + $1.dict.tensorCount } }

    /// Applies `update` to each present state section, then to `metadata`, in place.
    public mutating func updateSections(_ update: (inout StateDict) throws -> Void) rethrows {
        try update(&model)
        func each(_ d: inout StateDict?) throws {
            if d != nil { try update(&d!) }
        }
        try each(&optimizer)
        try each(&scheduler)
        try each(&progress)
        try each(&rng)
        try each(&averagedModel)
        try each(&swaScheduler)
        try each(&optimizers)
        try update(&metadata)
    }

    /// A section by name: `metadata` or one of `sectionNames`.
    public func section(named name: String) -> StateDict? {
        switch name {
        case "metadata": metadata
        case "model": model
        case "optimizer": optimizer
        case "scheduler": scheduler
        case "progress": progress
        case "rng": rng
        case "averaged_model": averagedModel
        case "swa_scheduler": swaScheduler
        case "optimizers": optimizers
        default: nil
        }
    }
}
