/// Which root keys of a `torch.save` dict hold the model, optimizer and scheduler state dicts
/// and the epoch count, for files that do not use the names `TorchCheckpoint` recognises
/// (`ckpt convert --map model=net,optimizer=opt_state,scheduler=sched,epoch=ep`).
///
/// Reading, a mapped role takes its state dict from exactly that key (missing, or not a
/// dict, is an error naming the key); writing, `TorchSave` stores each section under its
/// mapped key instead of `model` / `optimizer` / `scheduler` / `epoch`.
public struct TorchKeyMap: Sendable, Equatable {
    public var model: String?
    public var optimizer: String?
    public var scheduler: String?
    public var epoch: String?

    public init(model: String? = nil, optimizer: String? = nil, scheduler: String? = nil, epoch: String? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.epoch = epoch
    }

    /// No mapping: the standard names.
    public static let standard = TorchKeyMap()

    /// Parses `role=key[,role=key...]` (roles: model, optimizer, scheduler, epoch); the error
    /// text names the part that is wrong.
    public init(parsing text: String) throws(TorchKeyMapError) {
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard pair.count == 2, !pair[1].isEmpty else {
                throw TorchKeyMapError(text: "\(part.debugDescription) is not role=key (roles: model, optimizer, scheduler, epoch)")
            }
            switch pair[0] {
            case "model" where model == nil: model = pair[1]
            case "optimizer" where optimizer == nil: optimizer = pair[1]
            case "scheduler" where scheduler == nil: scheduler = pair[1]
            case "epoch" where epoch == nil: epoch = pair[1]
            case "model", "optimizer", "scheduler", "epoch": throw TorchKeyMapError(text: "the role \(pair[0]) is mapped twice")
            default: throw TorchKeyMapError(text: "unknown role \(pair[0].debugDescription) (roles: model, optimizer, scheduler, epoch)")
            }
        }
        let keys = [model, optimizer, scheduler, epoch].compactMap { $0 }
        guard Set(keys).count == keys.count else { throw TorchKeyMapError(text: "two roles map to the same key") }
    }
}

/// A `--map` text that is not `role=key[,role=key...]`.
public struct TorchKeyMapError: Error, CustomStringConvertible {
    public var text: String
    public var description: String { text }
}
