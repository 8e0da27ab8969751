import CkptCore
import CkptOptim

/// The collective save of a sharded run (`CollectiveCheckpointFile`, MPI flavour): every rank
/// writes the tensors it holds into one file, so no rank gathers another's optimizer state.
extension Run {
    /// The collective save's ranks: under MPI with sharded state and a parallel libhdf5; nil
    /// otherwise (then rank 0 writes the gathered state, `checkpointForSaving`).
    public var collectiveRanks: CollectiveCheckpointFile.Ranks? {
        guard shardPlan != nil, CollectiveCheckpointFile.isAvailable else { return nil }
        return ranks as? CollectiveCheckpointFile.Ranks
    }

    /// Saves to `path` with every rank writing its own tensors (a collective call).
    func saveCollectively(_ c: Checkpoint, placeholders: Set<String>, to path: String,
                          ranks collective: CollectiveCheckpointFile.Ranks) throws {
        guard let ranks, let shardPlan else { return }
        var ownerOf: [String: Int] = [:]
        for (p, owner) in zip(model.parameters, shardPlan.owner) { ownerOf["/model/" + p.name] = owner }
        let me = ranks.rank
        let local = CollectiveCheckpointFile.plan(c, rank: me) { path in
            if placeholders.contains(path) { return false }
            if let owner = ownerOf[path] { return owner == me }
            return Self.isOptimizerState(path) || me == 0
        }
        // Every rank learns every tensor's shape, dtype, checksum and writer.
        var tensors: [String: CollectiveCheckpointFile.Tensor] = [:]
        for bytes in try ranks.allgatherBytes(StateCodec.encode(.dict(Self.encode(local)))) {
            guard case .dict(let d) = try StateCodec.decode(bytes) else { throw StateCodec.Malformed() }
            for (path, v) in d {
                guard let t = Self.decodeTensor(v), tensors.updateValue(t, forKey: path) == nil else {
                    throw RunError.mismatch("collective save: two ranks write \(path)")
                }
            }
        }
        try CollectiveCheckpointFile.save(c, tensors: tensors, to: path, ranks: collective)
    }

    /// The checkpoint with the same structure on every rank: the optimizer state entries other
    /// ranks keep are there with empty tensors in place of theirs (whose paths are returned).
    func sharedCheckpoint() throws -> (Checkpoint, placeholders: Set<String>) {
        guard let ranks else { return (checkpoint(), []) }
        var placeholders = Set<String>()
        var full: [StateDict] = []
        for (k, o) in optimizers.enumerated() {
            var sd = o.stateDict()
            let mine = sd["state"]?.dictValue ?? StateDict(intKeys: [])
            let empty = StateValue.tensor(TensorData(shape: [0], storage: .float32([])))
            let skeleton = StateValue.dict(mine).mapValues { v in if case .tensor = v { empty } else { v } }
            let root = k == 0 ? "/optimizer/state" : "/optimizers/\(k)/optimizer/state"
            var parts: [StateDict] = []
            for (r, bytes) in try ranks.allgatherBytes(StateCodec.encode(skeleton)).enumerated() {
                guard r != ranks.rank else { parts.append(mine); continue }
                let theirs = try Self.dict(StateCodec.decode(bytes))
                StateValue.dict(theirs).walk(path: root) { path, v in
                    if case .tensor = v { placeholders.insert(path) }
                    return true
                }
                parts.append(theirs)
            }
            sd["state"] = .dict(try Self.mergedState(parts))
            full.append(sd)
        }
        return (checkpoint(optimizerStates: full), placeholders)
    }

    /// A sharded run's save to `path` with every rank writing its own tensors (a collective
    /// call); `adjust` edits the checkpoint first, the same way on every rank. False, having
    /// done nothing, when the run's saves are not collective (`collectiveRanks`).
    func saveCollectivelyIfSharded(to path: String, adjust: (inout Checkpoint) -> Void = { _ in }) throws -> Bool {
        guard let collective = collectiveRanks else { return false }
        var (c, placeholders) = try sharedCheckpoint()
        adjust(&c)
        if writesCheckpoints { try TrainerCheckpoints.createDirectory(of: path) }
        try saveCollectively(c, placeholders: placeholders, to: path, ranks: collective)
        return true
    }

    /// "/optimizer/state/…" or "/optimizers/<k>/optimizer/state/…".
    static func isOptimizerState(_ path: String) -> Bool {
        if path.hasPrefix("/optimizer/state/") { return true }
        let parts = path.split(separator: "/", maxSplits: 4)
        return parts.count == 5 && parts[0] == "optimizers" && parts[2] == "optimizer" && parts[3] == "state"
    }


    private static func encode(_ plan: [String: CollectiveCheckpointFile.Tensor]) -> StateDict {
        StateDict(plan.sorted { $0.key < $1.key }.map { path, t in
            (path, .tuple([.list(t.shape.map { .int(Int64($0)) }), .string(t.dtype.rawValue),
                           .int(Int64(bitPattern: t.checksum)), .int(Int64(t.writer))]))
        })
    }

    private static func decodeTensor(_ v: StateValue) -> CollectiveCheckpointFile.Tensor? {
        guard case .tuple(let f) = v, f.count == 4, let shape = f[0].arrayValue?.compactMap({ $0.intValue.map(Int.init) }),
              let dtype = f[1].stringValue.flatMap(DType.init(rawValue:)), let sum = f[2].intValue, let writer = f[3].intValue
        else { return nil }
        return CollectiveCheckpointFile.Tensor(shape: shape, dtype: dtype, checksum: UInt64(bitPattern: sum), writer: Int(writer))
    }
}
