/// How far a run has come, and the history a resumed run must continue: the checkpoint's
/// `/progress` section.
///
/// `lrHistory[k]` holds the lr of each param group that optimizer step `k` used (the seed's
/// "learning rate's curve"), `lossHistory[k]` that step's mini-batch loss. A run is always at a
/// batch boundary: `batch` batches of epoch `epoch` (0-based, the next one to finish) are done.
public struct RunProgress: Sendable, Equatable {
    /// Completed epochs.
    public var epoch = 0
    /// Optimizer steps taken (= `lrHistory.count`).
    public var globalStep = 0
    /// Batches done in the current, unfinished epoch (0 at an epoch boundary).
    public var batch = 0
    /// `[globalStep][groups]`: the lr each step used, per param group.
    public var lrHistory: [[Double]] = []
    /// `[globalStep]`: each step's loss.
    public var lossHistory: [Float] = []

    public init() {}

    /// The optimizer step at which the current epoch began.
    public var epochStartStep: Int { globalStep - batch }

    /// The `/progress` section: `epoch`, `global_step`, `batch` (only mid-epoch),
    /// `lr` float64 `[global_step, groups]`, `loss` float32 `[global_step]`.
    public func stateDict(groups: Int) -> StateDict {
        var sd: StateDict = ["epoch": .int(Int64(epoch)), "global_step": .int(Int64(globalStep))]
        if batch > 0 { sd["batch"] = .int(Int64(batch)) }
        sd["lr"] = .tensor(TensorData(shape: [lrHistory.count, groups], storage: .float64(lrHistory.flatMap { $0 })))
        sd["loss"] = .tensor(TensorData(shape: [lossHistory.count], storage: .float32(lossHistory)))
        return sd
    }

    /// Reads a `/progress` section, checking that the histories agree with `global_step`
    /// and the optimizer's group count.
    public init(stateDict sd: StateDict, groups: Int) throws {
        func int(_ key: String, required: Bool = true) throws -> Int {
            guard let v = sd[key] else {
                if required { throw RunError.mismatch("progress.\(key): missing") }
                return 0
            }
            guard let i = v.intValue, i >= 0, i <= Int64(Int32.max) else {
                throw RunError.mismatch("progress.\(key): expected a non-negative integer, found \(v.kindName)")
            }
            return Int(i)
        }
        epoch = try int("epoch")
        globalStep = try int("global_step")
        batch = try int("batch", required: false)
        if let lr = sd["lr"]?.tensorValue {
            guard case .float64(let a) = lr.storage, lr.shape.count == 2 else {
                throw RunError.mismatch("progress.lr: expected float64 [global_step, groups], found \(lr.dtype.rawValue) \(lr.shape)")
            }
            guard lr.shape == [globalStep, groups] else {
                throw RunError.mismatch("progress.lr: shape \(lr.shape), expected [\(globalStep), \(groups)] (global_step, param groups)")
            }
            lrHistory = (0..<globalStep).map { Array(a[($0 * groups)..<(($0 + 1) * groups)]) }
        } else if globalStep > 0 {
            throw RunError.mismatch("progress.lr: missing")
        }
        if let loss = sd["loss"]?.tensorValue {
            guard case .float32(let a) = loss.storage, loss.shape == [globalStep] else {
                throw RunError.mismatch("progress.loss: expected float32 [\(globalStep)], found \(loss.dtype.rawValue) \(loss.shape)")
            }
            lossHistory = a
        } else if globalStep > 0 {
            throw RunError.mismatch("progress.loss: missing")
        }
        guard batch <= globalStep else {
            throw RunError.mismatch("progress.batch: \(batch) batches done in this epoch but only \(globalStep) steps in total")
        }
    }
}
