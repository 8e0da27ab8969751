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
