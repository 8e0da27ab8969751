import CkptCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `torch.optim.swa_utils.SWALR(optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos")`:
/// anneals each group's lr from where it is to `group["swa_lr"]` over `anneal_epochs` steps,
/// then holds it there.
///
/// As PyTorch: the constructor writes `swa_lr` (one number, or one per group) into every
/// group before `initial_lr`; each step recovers the lr the previous step started from
/// (`(lr - prev_alpha * swa_lr) / (1 - prev_alpha)`) and mixes it with `swa_lr` by
/// `alpha = anneal(t)`, in double precision and PyTorch's order of operations. The state dict
/// holds `_anneal_strategy` and `anneal_epochs` before the base keys; `swa_lr` lives in the
/// optimizer's groups, so it is saved with the optimizer.
public final class SWALR: LRScheduler {
    /// PyTorch's `anneal_strategy`.
    public enum Anneal: String, Sendable {
        case cos, linear
    }

    public private(set) var anneal: Anneal
    public private(set) var annealEpochs: Int

    /// `swaLR`: one number for every group, or one per group (PyTorch's `_format_param`).
    public init(optimizer: Optimizer, swaLR: [PyNumber], annealEpochs: Int = 10, anneal: Anneal = .cos,
                lastEpoch: Int = -1) throws {
        let n = optimizer.paramGroups.count
        var values = swaLR
        if values.count == 1 && n != 1 {
            values = Array(repeating: values[0], count: n)
        } else if values.count != n {
            throw SchedulerError("swa_lr must have the same length as optimizer.param_groups. "
                + "swa_lr has \(values.count) values, param_groups has \(n).")
        }
        for i in 0..<n { optimizer.paramGroups[i]["swa_lr"] = values[i].stateValue }
        guard annealEpochs >= 0 else {
            throw SchedulerError("anneal_epochs must be equal or greater than 0, got \(annealEpochs)")
        }
        self.anneal = anneal
        self.annealEpochs = annealEpochs
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "SWALR" }

    /// PyTorch's `_linear_anneal` / `_cosine_anneal`.
    func annealFunction(_ t: Double) -> Double {
        switch anneal {
        case .linear: return t
        case .cos: return (1 - cos(Double.pi * t)) / 2
        }
    }

    public override func getLR() throws -> [Double] {
        var step = stepCount - 1
        if annealEpochs == 0 { step = Swift.max(1, step) }
        let span = Double(Swift.max(1, annealEpochs))
        let prevAlpha = annealFunction(Swift.max(0, Swift.min(1, Double(step - 1) / span)))
        let alpha = annealFunction(Swift.max(0, Swift.min(1, Double(step) / span)))
        return try optimizer.paramGroups.map { group in
            let swa = try group.number("swa_lr")
            let prev = prevAlpha == 1 ? swa : (group.lr - prevAlpha * swa) / (1 - prevAlpha)
            return swa * alpha + prev * (1 - alpha)
        }
    }

    public override func ownState() -> [(String, StateValue)] {
        [("_anneal_strategy", .string(anneal.rawValue)), ("anneal_epochs", .int(Int64(annealEpochs)))]
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let s = try r.string("_anneal_strategy") {
            guard let a = Anneal(rawValue: s) else {
                throw r.mismatch("_anneal_strategy", expected: "\"cos\" or \"linear\"", found: .string(s))
            }
            anneal = a
        }
        if let v = try r.int("anneal_epochs", in: 0...Int64(Int32.max), expected: "a non-negative int") {
            annealEpochs = v
        }
    }
}
