/// A run's weight average, as PyTorch's recipes keep it (`RunConfig.Averaging`):
/// an `AveragedModel` of the run's model and, for SWA, the `SWALR` scheduler that takes over
/// from the run's scheduler after `swa_start`.
///
/// EMA: `update_parameters(model)` after every optimizer step. SWA: at the end of epoch `e`
/// (0-based), when `e > swa_start`, `update_parameters(model)` then `swa_scheduler.step()`;
/// otherwise the run's own scheduler steps. The checkpoint holds the average in
/// `/averaged_model` (PyTorch's `AveragedModel.state_dict()`) and SWALR in `/swa_scheduler`.
public final class RunAveraging {
    public let config: RunConfig.Averaging
    public let model: AveragedModel
    /// SWA's `SWALR`, built with the run (after the run's scheduler, as PyTorch's recipe).
    public let swaScheduler: SWALR?

    init(config: RunConfig.Averaging, parameters: [Parameter], optimizer: Optimizer) throws {
        self.config = config
        model = AveragedModel(parameters: parameters, strategy: config.strategy)
        if case .swa(_, let lr, let epochs, let strategy) = config {
            swaScheduler = try SWALR(optimizer: optimizer, swaLR: lr.map { PyNumber($0) }, annealEpochs: epochs,
                                     anneal: SWALR.Anneal(rawValue: strategy) ?? .cos)
        } else {
            swaScheduler = nil
        }
    }

    /// After each optimizer step: EMA's update.
    func afterStep(_ parameters: [Parameter]) throws {
        if case .ema = config { try model.update(from: parameters) }
    }

    /// Whether SWA owns the end of `epoch` (0-based): `epoch > swa_start`.
    func swaOwnsEpochEnd(_ epoch: Int) -> Bool {
        if case .swa(let start, _, _, _) = config { return epoch > start }
        return false
    }

    /// SWA's end of epoch: `update_parameters(model)`, then `swa_scheduler.step()`.
    func swaEpochEnd(_ parameters: [Parameter]) throws {
        try model.update(from: parameters)
        try swaScheduler?.step()
    }
}
