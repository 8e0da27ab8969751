import CkptCore

/// A checkpoint whose large tensors stay in the file until asked for, so commands that look
/// at every tensor once (`verify`, `inspect --stats`, `diff`) hold one or two tensors at a
/// time instead of the file.
///
/// `checkpoint` holds every section and value; a deferred tensor appears in it as a stand-in
/// (`TensorData.standIn`: real shape and dtype, no elements). `tensor(_:at:)` returns the
/// real tensor for any tensor of the tree: the value itself when it was read whole, else the
/// data read from the file now (checked against its checksum). Only tensors whose every
/// ancestor is a dict are deferred, never those inside lists or tuples (compared as one
/// value), and `/progress` (parsed at load) is read whole.
///
/// An outline of a file keeps the file open until it is released. Use from one thread.
public final class CheckpointOutline {
    /// Tensors of at most this many bytes are read with the tree (an optimizer's `step`,
    /// small values `inspect` prints): every stand-in is larger.
    public static let defaultInlineBytes = 4096

    public let file: String
    /// The sections, with stand-ins for deferred tensors.
    public let checkpoint: Checkpoint
    /// Paths of the deferred tensors, in walk order.
    public let deferred: [String]
    private let deferredSet: Set<String>
    private let source: TensorSource?
    /// Deferred tensors read (or checked) so far.
    private var visited = Set<String>()

    /// A checkpoint already in memory: nothing is deferred. `damaged`: what its loader found
    /// (`CheckpointFile.loadListingDamage`).
    public init(_ checkpoint: Checkpoint, file: String = "", damaged: [CheckpointError] = []) {
        self.file = file
        self.inlineDamage = damaged
        self.checkpoint = checkpoint
        self.deferred = []
        self.deferredSet = []
        self.source = nil
    }

    /// For format readers: `checkpoint` holds a stand-in at each of `deferred`, whose data
    /// `source` reads.
    public init(file: String, checkpoint: Checkpoint, deferred: [String], source: TensorSource) {
        self.file = file
        self.checkpoint = checkpoint
        self.deferred = deferred
        self.deferredSet = Set(deferred)
        self.source = source
    }

    /// Whether the tensor at `path` is a stand-in whose data is still in the file.
    public func isDeferred(_ path: String) -> Bool { deferredSet.contains(path) }

    /// The real tensor for `value`, found at `path` of the tree: `value` itself unless it is a
    /// stand-in, else its data read now.
    public func tensor(_ value: TensorData, at path: String) throws -> TensorData {
        guard let source, deferredSet.contains(path) else { return value }
        visited.insert(path)
        return try source.tensor(at: path)
    }

    /// Calls `body` with the raw element bytes of `value` (found at `path`): its own storage,
    /// or for a stand-in the data read now into a buffer reused by the next call.
    public func withBytes<R>(of value: TensorData, at path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let source, deferredSet.contains(path) else { return try value.withUnsafeBytes(body) }
        visited.insert(path)
        return try source.withBytes(at: path, body)
    }

    /// Checks every deferred tensor not read yet against its checksum, streaming, then waits
    /// for all checks: after this, `damaged` is complete (or the first mismatch was thrown).
    ///
    /// With `countingNonFinite`, the same walk also counts the NaN and infinite elements of
    /// every floating-point tensor of the file as its bytes go by: deferred ones in the
    /// check's own read (those already read through `tensor` or `withBytes` are not counted:
    /// call this first), the others from the tree. Returns the tensors that hold any, in walk
    /// order (empty without `countingNonFinite`).
    @discardableResult
    public func checkRemaining(countingNonFinite: Bool = false) throws -> [(path: String, count: NonFiniteCount)] {
        var counts: [String: NonFiniteCount] = [:]
        if let source {
            let rest = deferred.filter { !visited.contains($0) }
            visited.formUnion(rest)
            if countingNonFinite {
                try source.check(rest) { path, c in if !c.isZero { counts[path] = c } }
            } else {
                try source.check(rest)
            }
            try source.finish()
        }
        guard countingNonFinite else { return [] }
        var out: [(path: String, count: NonFiniteCount)] = []
        for name in ["model", "optimizer", "scheduler", "progress", "rng"] {
            guard let section = checkpoint.section(named: name) else { continue }
            for (path, t) in section.tensors(root: name) where t.dtype.isFloatingPoint {
                let c = isDeferred(path) ? counts[path] ?? NonFiniteCount() : t.nonFiniteCount
                if !c.isZero { out.append((path, c)) }
            }
        }
        return out
    }

    /// `checkRemaining(countingNonFinite: true)`.
    public func checkRemainingCountingNonFinite() throws -> [(path: String, count: NonFiniteCount)] {
        try checkRemaining(countingNonFinite: true)
    }

    /// Tensors whose bytes fail their checksum, when the outline was opened listing damage
    /// (complete after `checkRemaining`); tensors read with the tree are included.
    public var damaged: [CheckpointError] { inlineDamage + (source?.damaged ?? []) }

    /// Mismatches among the tensors read with the tree (set by the reader).
    var inlineDamage: [CheckpointError] = []

    /// Element count of a tensor of the tree, stand-ins included.
    public static func elementCount(_ t: TensorData) -> Int { t.shape.reduce(1, *) }
}
