/// Which rank owns which tensor under ZeRO stage 1 (docs/MPI.md): the owner keeps that
/// parameter's optimizer state, steps it, and writes it into a collective checkpoint.
///
/// The plan is a pure function of the tensors' sizes (in their model order) and the rank
/// count, so every rank computes the same plan without communicating, and a checkpoint written
/// by N ranks can be re-planned for M ranks on load. Greedy longest-processing-time: tensors by
/// size, largest first (ties: model order), each to the least-loaded rank (ties: lowest rank).
/// Its largest load is at most 4/3 of the optimum plus one tensor; a model with fewer tensors
/// than ranks leaves ranks without state. PyTorch's `ZeroRedundancyOptimizer` partitions the
/// same way (sorted by size, to the smallest bucket), per parameter group.
public struct ShardPlan: Equatable, Sendable {
    /// `owner[i]`: the rank that owns tensor `i` (model order).
    public let owner: [Int]
    /// Elements owned by each rank.
    public let load: [Int]

    /// Plans `sizes` (element counts, model order) over `ranks` ≥ 1 ranks.
    public init(sizes: [Int], ranks: Int) {
        let ranks = max(1, ranks)
        var owner = [Int](repeating: 0, count: sizes.count)
        var load = [Int](repeating: 0, count: ranks)
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        for i in order {
            var best = 0
            for r in 1..<ranks where load[r] < load[best] { best = r }
            owner[i] = best
            load[best] += sizes[i]
        }
        self.owner = owner
        self.load = load
    }

    /// The tensors rank `rank` owns, in model order.
    public func owned(by rank: Int) -> [Int] { owner.indices.filter { owner[$0] == rank } }
}
