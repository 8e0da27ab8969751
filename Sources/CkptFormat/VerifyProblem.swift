/// One structural problem in a checkpoint: where it is (a path inside the file, as the format
/// lays it out: `optimizer/state/3/exp_avg`) and what is wrong, naming both sides.
///
/// `ckpt verify` lists every problem; `CheckpointFile.load` throws the first one as a
/// `CheckpointError` (`.missing` when `missing` names an absent object, `.malformed` otherwise).
public struct VerifyProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    /// The path of the absent object, when the problem is that something is missing.
    public var missing: String?

    public init(path: String, message: String, missing: String? = nil) {
        self.path = path
        self.message = message
        self.missing = missing
    }

    public var description: String { "\(path): \(message)" }

    /// The load error for this problem in `file` (load paths start with "/").
    public func error(file: String) -> CheckpointError {
        if let missing { return .missing(file: file, path: "/" + missing) }
        return .malformed(file: file, path: "/" + path, reason: message)
    }
}
