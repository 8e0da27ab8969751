import CkptCore

/// What a file format gives `CheckpointOutline`: the data of one tensor at a time, by path.
///
/// A reader that can stream builds the outline's tree with stand-ins for the tensors it left
/// in the file (`TensorData.standIn`) and hands their paths and a source to
/// `CheckpointOutline(file:checkpoint:deferred:source:)`. A format that cannot stream loads
/// everything and wraps it with `CheckpointOutline(_:)`; no source is needed then.
///
/// Paths are the diff engine's: section, then keys ("model/fc1.weight",
/// "optimizer/state/0/exp_avg"). Calls come from one thread at a time.
public protocol TensorSource: AnyObject {
    /// Reads the tensor at `path` whole, now, checking it against the checksum the file
    /// stores for it where the format has one (the check may finish later: `finish`).
    func tensor(at path: String) throws -> TensorData
    /// Calls `body` with the tensor's raw little-endian element bytes (bools as 0 or 1), read
    /// into memory the source reuses: valid only inside `body`, checked as `tensor(at:)` is.
    /// What the diff engine uses, so it allocates nothing per tensor.
    func withBytes<R>(at path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
    /// Checks the tensors at `paths` against their stored checksums without keeping them
    /// (`ckpt verify`): memory for one or two tensors at a time, whatever the file holds.
    func check(_ paths: [String]) throws
    /// `check`, also reporting the NaN and infinite elements of each floating-point tensor,
    /// counted in the bytes the check reads (`ckpt verify` warns about them).
    func check(_ paths: [String], countingNonFinite report: (String, NonFiniteCount) -> Void) throws
    /// Waits for checks still running and reports their mismatches (thrown, or recorded in
    /// `damaged` when the source collects them).
    func finish() throws
    /// Checksum mismatches recorded instead of thrown, in the order found.
    var damaged: [CheckpointError] { get }
}

extension TensorSource {
    public func withBytes<R>(at path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try tensor(at: path).withUnsafeBytes(body)
    }
    public func check(_ paths: [String]) throws { for p in paths { _ = try tensor(at: p) } }
    public func check(_ paths: [String], countingNonFinite report: (String, NonFiniteCount) -> Void) throws {
        for p in paths { report(p, try tensor(at: p).nonFiniteCount) }
    }
    public func finish() throws {}
    public var damaged: [CheckpointError] { [] }
}

extension TensorData {
    /// A tensor of `shape` and `dtype` with no elements: what an outline holds in place of a
    /// tensor whose data is still in the file. `shape` and `dtype` are real; `count`,
    /// `byteCount` and the bytes are empty (so it never compares equal to real data by
    /// accident). Use `shape.reduce(1, *)` for its element count.
    public static func standIn(shape: [Int], dtype: DType) -> TensorData {
        let empty: Storage = switch dtype {
        case .float32: .float32([])
        case .float64: .float64([])
        case .float16: .float16([])
        case .bfloat16: .bfloat16([])
        case .int64: .int64([])
        case .int32: .int32([])
        case .int16: .int16([])
        case .int8: .int8([])
        case .uint8: .uint8([])
        case .bool: .bool([])
        }
        var t = TensorData(shape: [0], storage: empty)
        t.shape = shape
        return t
    }
}
