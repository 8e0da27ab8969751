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

    /// The number of param groups the lr history has a column for.
    public var groups: Int? { lrHistory.first?.count }

    /// The one parser of a `/progress` section (used by resume, load validation, `verify`,
    /// `diff`, `plot` and `inspect`): checks that `epoch`, `global_step` and `batch` are
    /// non-negative ints, that the histories have one row per optimizer step, and, when `groups`
    /// is given, one lr column per param group. Errors name `progress/<key>` and both sides.
    public init(stateDict sd: StateDict, groups: Int? = nil) throws {
        let r = StateDictReader(sd, path: "progress", separator: "/")
        func count(_ key: String) throws -> Int? {
            try r.int(key, in: 0...Int64(Int32.max), expected: "a non-negative integer")
        }
        epoch = try r.required("epoch", count("epoch"))
        globalStep = try r.required("global_step", count("global_step"))
        batch = try count("batch") ?? 0
        if let lr = try r.tensor("lr", dtype: .float64, rank: 2, expected: "a float64 [global_step, groups] tensor") {
            let columns = lr.shape[1]
            guard lr.shape[0] == globalStep, groups.map({ $0 == columns }) ?? true else {
                let expected = "[\(globalStep), \(groups.map(String.init) ?? "groups")] (global_step, param groups)"
                throw r.error("lr", "shape \(lr.shape), expected \(expected)")
            }
            guard case .float64(let a) = lr.storage else { preconditionFailure("checked above") }
            lrHistory = columns == 0 ? Array(repeating: [], count: globalStep)
                : (0..<globalStep).map { Array(a[($0 * columns)..<(($0 + 1) * columns)]) }
        } else if globalStep > 0 {
            throw r.error("lr", "missing (the lr of each of the \(globalStep) optimizer steps)")
        }
        if let loss = try r.tensor("loss", dtype: .float32, rank: 1, expected: "a float32 [global_step] tensor") {
            guard loss.shape == [globalStep], case .float32(let a) = loss.storage else {
                throw r.error("loss", "shape \(loss.shape), expected [\(globalStep)] (global_step)")
            }
            lossHistory = a
        } else if globalStep > 0 {
            throw r.error("loss", "missing (the loss of each of the \(globalStep) optimizer steps)")
        }
        guard batch <= globalStep else {
            throw r.error("batch", "\(batch) batches done in this epoch but only \(globalStep) steps in total")
        }
    }
}
