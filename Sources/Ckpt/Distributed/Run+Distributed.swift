import CkptCore
import CkptOptim

/// The processes of a data-parallel run: `MPIWorld` under `mpirun` (the MPI flavour); tests
/// use threads of one process. Collectives only whose result order is fixed by rank.
public protocol RankGroup: BatchPartition {
    /// Every rank's bytes, one array per rank, in rank order, on every rank.
    func allgatherBytes(_ local: [UInt8]) throws -> [[UInt8]]
    /// Every rank's bytes, in rank order, on `root`; [] on the other ranks.
    func gatherBytes(_ local: [UInt8], root: Int) throws -> [[UInt8]]
    /// `values` of rank `root` into `values` of every rank (the same count on all).
    func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws
}

extension RankGroup {
    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        let all = try allgatherBytes(rank == root ? Array(UnsafeRawBufferPointer(values)) : [])
        guard all[root].count == values.count * MemoryLayout<Float>.size else { throw StateCodec.Malformed() }
        if rank != root { all[root].withUnsafeBytes { UnsafeMutableRawBufferPointer(values).copyMemory(from: $0) } }
    }

    public func gatherBytes(_ local: [UInt8], root: Int) throws -> [[UInt8]] {
        let all = try allgatherBytes(local)
        return rank == root ? all : []
    }
}

/// Data-parallel training with sharded optimizer state (docs/MPI.md), exact for any rank count:
/// - every rank reads the whole batch (the data order is a pure function of seed and epoch) and
///   computes its chunks of it (`Sequential.partition`), so all ranks end each backward with
///   the single-process gradients;
/// - ZeRO stage 1: `shardPlan` gives each parameter one owner, which alone keeps its optimizer
///   state and steps it (the others drop its gradient, so the optimizer skips it, as PyTorch
///   skips a parameter whose `grad` is None); the owners' new values are then gathered by
///   every rank. Element-wise updates computed on one rank are the bits all ranks would get;
/// - the schedulers, progress, random state and any weight average are the same on every rank.
///
/// LBFGS keeps one state over all parameters (its line search reads every gradient), so a run
/// with LBFGS is not sharded: each rank keeps the whole state, and only the batch is split.
extension Run {
    /// Trains this run over `ranks` from now on; drops the optimizer state this rank does not
    /// own (call after `restore`, which loads all of it: a checkpoint of N ranks resumes on any M).
    /// A group of one rank changes nothing.
    public func distribute(over ranks: RankGroup) {
        guard ranks.size > 1 else { return }
        self.ranks = ranks
        model.module.partition = ranks
        let params = model.parameters
        shardPlan = optimizers.contains { $0 is LBFGS } ? nil
            : ShardPlan(sizes: params.map(\.value.count), ranks: ranks.size)
        let unowned = unownedParameters
        for o in optimizers { o.discardState(of: unowned) }
    }

    /// True on the rank that writes the checkpoint files (rank 0, or the only process).
    public var writesCheckpoints: Bool { (ranks?.rank ?? 0) == 0 }

    /// The parameters whose optimizer state another rank keeps.
    var unownedParameters: [Parameter] {
        guard let ranks, let shardPlan else { return [] }
        return zip(model.parameters, shardPlan.owner).filter { $0.1 != ranks.rank }.map(\.0)
    }

    /// Before the optimizers step: the gradients of parameters other ranks own are dropped.
    func releaseUnownedGradients() {
        for p in unownedParameters { p.grad = nil }
    }

    /// After the optimizers step: each owner's updated values replace the stale copies of the
    /// other ranks, one broadcast per parameter in model order, straight into its storage.
    func shareUpdatedParameters() throws {
        guard let ranks, let shardPlan else { return }
        for (p, owner) in zip(model.parameters, shardPlan.owner) {
            try p.value.storage.withUnsafeMutableBufferPointer { try ranks.broadcast($0, root: owner) }
        }
    }

    /// The run's checkpoint with every optimizer's whole state, on the rank that writes it: a
    /// sharded run gathers the entries each owner keeps on rank 0 (a collective call: every rank
    /// makes it), in the parameters' order, which is the order a single process creates them
    /// in. On rank 0 the result is the checkpoint a single-process run writes; on the other
    /// ranks it holds only their own share of the optimizer state.
    public func checkpointForSaving() throws -> Checkpoint {
        guard let ranks, shardPlan != nil else { return checkpoint() }
        var full: [StateDict] = []
        for o in optimizers {
            var sd = o.stateDict()
            let mine = sd["state"] ?? .dict(StateDict(intKeys: []))
            let parts = try ranks.gatherBytes(StateCodec.encode(mine), root: 0)
            if ranks.rank == 0 { sd["state"] = .dict(try Self.mergedState(parts.map { try Self.dict(StateCodec.decode($0)) })) }
            full.append(sd)
        }
        return checkpoint(optimizerStates: full)
    }

    /// `checkpoint()` whose optimizer sections hold `states` (one state dict per optimizer, in order).
    func checkpoint(optimizerStates states: [StateDict]) -> Checkpoint {
        var c = checkpoint()
        c.optimizer = states[0]
        if optimizers.count > 1 {
            c.optimizers = Checkpoint.optimizersSection(zip(states, schedulers).dropFirst().map { ($0, $1?.stateDict()) })
        }
        return c
    }

    /// Every rank's per-parameter state entries (rank order) as one `state` dict, in parameter
    /// order: the order one process creates them in.
    static func mergedState(_ parts: [StateDict]) throws -> StateDict {
        var entries: [(Int64, StateValue)] = []
        for d in parts {
            for (k, v) in d {
                guard let i = Int64(k) else { throw StateCodec.Malformed() }
                entries.append((i, v))
            }
        }
        return StateDict(intKeys: entries.sorted { $0.0 < $1.0 })
    }

    static func dict(_ v: StateValue) throws -> StateDict {
        guard case .dict(let d) = v else { throw StateCodec.Malformed() }
        return d
    }

    /// Bytes of optimizer state tensors this process keeps (every optimizer).
    public var optimizerStateBytes: Int {
        var total = 0
        for o in optimizers {
            for (_, s) in o.state {
                for (_, v) in s { if case .tensor(let t) = v { total += t.byteCount } }
            }
        }
        return total
    }

    /// Every rank's `optimizerStateBytes`, in rank order (a collective call).
    public func optimizerStateBytesPerRank() throws -> [Int] {
        guard let ranks else { return [optimizerStateBytes] }
        return try ranks.allgatherBytes(StateCodec.encode(.int(Int64(optimizerStateBytes)))).map {
            guard case .int(let n) = try StateCodec.decode($0) else { throw StateCodec.Malformed() }
            return Int(n)
        }
    }

    /// True on every rank when `flag` is true on any (a collective call; `flag` alone without ranks).
    public func anyRank(_ flag: Bool) throws -> Bool {
        guard let ranks else { return flag }
        return try ranks.allgatherBytes([flag ? 1 : 0]).contains { $0 == [1] }
    }

    /// The first rank's non-nil `local` (rank order), on every rank: what a check that only some
    /// ranks can make (their own optimizer state) decides for all.
    func agreed(_ local: String?) throws -> String? {
        guard let ranks else { return local }
        for bytes in try ranks.allgatherBytes(StateCodec.encode(local.map { .string($0) } ?? .none)) {
            if case .string(let s) = try StateCodec.decode(bytes) { return s }
        }
        return nil
    }
}
