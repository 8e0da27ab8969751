/// How far a run has come, and the history a resumed run must continue: the checkpoint's
/// `/progress` section.
///
/// Row `k` of the lr history holds the lr of each param group that optimizer step `k` used (the
/// seed's "learning rate's curve"), `lossHistory[k]` that step's mini-batch loss. The lr
/// history is kept flat, row-major, as the checkpoint stores it, so `stateDict` hands out the
/// array itself (shared copy-on-write) instead of rebuilding it on every save. A run is always at a
/// batch boundary: `batch` batches of epoch `epoch` (0-based, the next one to finish) are done.
public struct RunProgress: Sendable, Equatable {
    /// Completed epochs.
    public var epoch = 0
    /// Optimizer steps taken (= `lrRows`).
    public var globalStep = 0
    /// Batches done in the current, unfinished epoch (0 at an epoch boundary).
    public var batch = 0
    /// `[lrRows, lrColumns]` row-major: the lr each step used, per param group.
    public private(set) var lrValues: [Double] = []
    /// Rows of the lr history (one per recorded step).
    public private(set) var lrRows = 0
    /// Columns of the lr history (param groups; 0 until the first row).
    public private(set) var lrColumns = 0
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
        sd["lr"] = .tensor(TensorData(shape: [lrRows, lrRows == 0 ? groups : lrColumns], storage: .float64(lrValues)))
        sd["loss"] = .tensor(TensorData(shape: [lossHistory.count], storage: .float32(lossHistory)))
        return sd
    }

    /// The number of param groups the lr history has a column for.
    public var groups: Int? { lrRows == 0 ? nil : lrColumns }

    /// `[steps][groups]`: the lr history as one array per step.
    public var lrHistory: [[Double]] {
        (0..<lrRows).map { r in Array(lrValues[(r * lrColumns)..<((r + 1) * lrColumns)]) }
    }

    /// The lr of each param group at the last recorded step.
    public var lastLR: [Double]? {
        lrRows == 0 ? nil : Array(lrValues[((lrRows - 1) * lrColumns)...])
    }

    /// Records one step's lr per param group: `lrs.count` must equal earlier rows' count.
    public mutating func appendLR(_ lrs: [Double]) {
        precondition(lrRows == 0 || lrs.count == lrColumns, "lr row of \(lrs.count) groups after rows of \(lrColumns)")
        lrColumns = lrs.count
        lrValues.append(contentsOf: lrs)
        lrRows += 1
    }

    /// Inserts a column of `value` at `column` into every row (a param group added mid-run:
    /// `add_param_group`, which had no lr before).
    public mutating func insertLRColumn(at column: Int, value: Double = 0) {
        guard lrRows > 0 else { return }
        var out: [Double] = []
        out.reserveCapacity(lrRows * (lrColumns + 1))
        for r in 0..<lrRows {
            let row = lrValues[(r * lrColumns)..<((r + 1) * lrColumns)]
            out.append(contentsOf: row.prefix(column))
            out.append(value)
            out.append(contentsOf: row.dropFirst(column))
        }
        lrValues = out
        lrColumns += 1
    }

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
            lrValues = a
            lrRows = globalStep
            lrColumns = globalStep == 0 ? 0 : columns  // as a fresh run's, until its first row
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
