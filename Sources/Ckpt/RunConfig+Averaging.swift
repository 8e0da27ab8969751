extension RunConfig {
    /// The run config's `"averaging"` section: a weight average kept beside the model, as
    /// `torch.optim.swa_utils.AveragedModel`.
    ///
    /// - `{"type": "ema", "decay": 0.999}`: `get_ema_multi_avg_fn(decay)`, updated after every
    ///   optimizer step.
    /// - `{"type": "swa", "swa_start": E, "swa_lr": 0.05, "anneal_epochs": 10,
    ///   "anneal_strategy": "cos"}`: PyTorch's SWA recipe: after each epoch `e` (0-based) with
    ///   `e > swa_start`, `update_parameters(model)` and `SWALR.step()` instead of the run's
    ///   scheduler; before that the run's scheduler steps as usual.
    public enum Averaging: Sendable, Equatable {
        case ema(decay: Double)
        case swa(swaStart: Int, swaLR: [Double], annealEpochs: Int, annealStrategy: String)

        /// Parses the section; errors name `averaging.<key>`.
        init(_ r: StateDictReader) throws {
            switch try r.string("type") {
            case "ema"?:
                try r.allow(["type", "decay"])
                let decay = try r.double("decay") ?? 0.999
                guard decay >= 0 && decay <= 1 else {
                    throw r.error("decay", "Invalid decay value \(decay) provided. Please provide a value in [0,1] range.")
                }
                self = .ema(decay: decay)
            case "swa"?:
                try r.allow(["type", "swa_start", "swa_lr", "anneal_epochs", "anneal_strategy"])
                let start = try r.required("swa_start", r.nonNegativeInt("swa_start"), "the epoch after which SWA starts")
                let lr = try r.required("swa_lr", r.numberOrList("swa_lr"), "SWALR's swa_lr")
                let epochs = try r.nonNegativeInt("anneal_epochs") ?? 10
                let strategy = try r.string("anneal_strategy") ?? "cos"
                guard strategy == "cos" || strategy == "linear" else {
                    throw r.error("anneal_strategy", "anneal_strategy must be one of 'cos' or 'linear', instead got \(strategy)")
                }
                self = .swa(swaStart: start, swaLR: lr, annealEpochs: epochs, annealStrategy: strategy)
            case let t?:
                throw r.error("type", "expected \"ema\" or \"swa\", found \"\(t)\"")
            case nil:
                throw r.error("type", "missing (\"ema\" or \"swa\")")
            }
        }

        /// The section with every default filled in.
        var json: StateDict {
            switch self {
            case .ema(let decay): return ["type": "ema", "decay": .double(decay)]
            case .swa(let start, let lr, let epochs, let strategy):
                return ["type": "swa", "swa_start": .int(Int64(start)),
                        "swa_lr": lr.count == 1 ? .double(lr[0]) : .list(lr.map { .double($0) }),
                        "anneal_epochs": .int(Int64(epochs)), "anneal_strategy": .string(strategy)]
            }
        }

        /// The `AveragedModel`'s averaging function.
        public var strategy: AveragingStrategy {
            switch self {
            case .ema(let decay): .ema(decay: decay)
            case .swa: .swa
            }
        }
    }
}
