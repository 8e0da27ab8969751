/// The processes of a data-parallel run as the training core sees them: this process's rank,
/// how many there are, and one collective whose result order is fixed by rank.
///
/// `Sequential.forwardBackward` splits a batch by its fixed chunks (`Compute.samplesPerChunk`):
/// rank r computes the contiguous chunks `chunks(of:)` gives it, and every sum across samples
/// is made from partials gathered in rank order, which is chunk order. So the gradients are
/// the single-process bits for any rank count, unlike `torch.distributed.all_reduce`, whose
/// summation order depends on the rank count and the algorithm. MPI lives in the `Ckpt` module
/// (`MPIWorld`); this protocol keeps the core free of it.
public protocol BatchPartition: AnyObject {
    /// This process's rank, `0..<size`.
    var rank: Int { get }
    /// The number of ranks (≥ 1).
    var size: Int { get }
    /// Every rank's `local` values, concatenated in rank order, on every rank (MPI_Allgatherv).
    func allgather(_ local: UnsafeBufferPointer<Float>) throws -> [Float]
}

extension BatchPartition {
    /// The chunks of a batch of `count` chunks this rank computes: a contiguous range, ranks in
    /// order, sizes differing by at most one (empty when there are more ranks than chunks).
    public func chunks(of count: Int) -> Range<Int> {
        (count * rank / size)..<(count * (rank + 1) / size)
    }
}
