import CkptCore

extension Run {
    /// A tensor of the run's state that holds NaN or infinity: what it is ("parameter
    /// fc1.weight", "optimizer state exp_avg_sq of fc1.weight") and how many of each.
    public struct NonFiniteTensor: Equatable, Sendable {
        public var tensor: String
        public var count: NonFiniteCount
    }

    /// The first parameter (in `model.parameters()` order), else the first optimizer state
    /// tensor (by parameter, then key), that holds NaN or infinity; nil when all are finite.
    ///
    /// PyTorch's loop notices nothing until the loss turns NaN, a step after the weights
    /// did: a checkpoint saved in between (the end of an epoch) would hold non-finite
    /// weights under a finite loss. Cost: one vectorised read of every parameter and state
    /// tensor (`NonFiniteCount`), about the memory traffic of a third of an Adam step;
    /// `Trainer` calls it after each optimizer step until the run is marked non-finite.
    public func firstNonFiniteTensor() -> NonFiniteTensor? {
        let parameters = model.parameters
        for p in parameters {
            let c = p.value.nonFiniteCount
            if !c.isZero { return NonFiniteTensor(tensor: "parameter \(p.name)", count: c) }
        }
        for p in parameters {
            guard let state = optimizer.state[ObjectIdentifier(p)] else { continue }
            for (key, value) in state {
                guard case .tensor(let t) = value, t.dtype.isFloatingPoint else { continue }
                let c = t.nonFiniteCount
                if !c.isZero { return NonFiniteTensor(tensor: "optimizer state \(key) of \(p.name)", count: c) }
            }
        }
        return nil
    }
}

extension Trainer {
    /// Why the state after the step just taken is non-finite, or nil: the training loss
    /// first (what the user sees), then the parameters and the optimizer state. `batch`
    /// counts from 1 within the 0-based `epoch`.
    static func nonFiniteAfterStep(_ run: Run, loss: Float, epoch: Int, batch: Int) -> String? {
        let place = "at epoch \(epoch + 1), batch \(batch) (global step \(run.progress.globalStep))"
        if !loss.isFinite {
            let value = loss.isNaN ? "NaN" : loss > 0 ? "Infinity" : "-Infinity"
            return "the training loss is \(value) \(place)"
        }
        guard let bad = run.firstNonFiniteTensor() else { return nil }
        return "\(bad.tensor) holds \(bad.count.description) after the optimizer step \(place)"
    }
}
