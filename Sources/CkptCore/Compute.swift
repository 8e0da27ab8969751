import CBLAS
import Dispatch
import Foundation

/// Threading of the training core, and the rule that keeps it deterministic.
///
/// Determinism rule: the same seed gives bit-identical parameters after every step whatever
/// thread count a user asks for, because every sum is computed in an order that depends only
/// on the shapes. Work over a batch is cut into fixed chunks of `samplesPerChunk` samples —
/// the cut depends on the batch size alone, never on `threads` — and each chunk is computed
/// the same way whichever worker runs it. Sums across samples (weight gradients) are made per
/// chunk and then added chunk by chunk, in chunk order, on the calling thread.
///
/// OpenBLAS's own threading does NOT follow that rule (measured here: LeNet's parameters differ
/// after a few steps with 1 vs 2 OpenBLAS threads), so OpenBLAS is pinned to one thread the
/// first time a layer is built and ckpt runs chunks on its own workers instead.
/// PyTorch's counterpart is `torch.set_num_threads`; unlike PyTorch, results do not change.
public enum Compute {
    nonisolated(unsafe) private static var requested = ProcessInfo.processInfo.activeProcessorCount

    /// Samples per chunk of a batch: large enough to amortise a dispatch, small enough that a
    /// batch of 64 gives 8 chunks to share between workers.
    public static let samplesPerChunk = 8

    /// Worker count (≥ 1) for the training core; all cores unless set (as PyTorch's default).
    /// Setting it never changes results.
    public static var threads: Int {
        get { requested }
        set {
            requested = Swift.max(1, newValue)
            pinBLAS()
        }
    }

    private static let pinned: Bool = {
        openblas_set_num_threads(1)
        // The worker thread OpenBLAS's constructor started would spin for its first ~0.1 s
        // on the second core; with one thread it never gets work, so it is ended at once.
        _ = blas_thread_shutdown_()
        return true
    }()

    /// Pins OpenBLAS to one thread and ends the worker thread it started at load (idempotent,
    /// cheap). Every ckpt command calls it first: OpenBLAS is linked into every process.
    @inline(__always)
    public static func pinBLAS() { _ = pinned }

    /// The number of fixed chunks a batch of `samples` is cut into.
    @inline(__always)
    static func chunkCount(_ samples: Int) -> Int { (samples + samplesPerChunk - 1) / samplesPerChunk }

    /// Calls `body(chunk, samples)` for every chunk of `0..<samples`, on up to `threads`
    /// workers (the caller is one of them). Chunks are dealt round-robin; each `body` must
    /// write only to memory that belongs to its chunk, so no order between chunks is observable.
    @inline(__always)
    static func forEachChunk(_ samples: Int, _ body: (_ chunk: Int, _ samples: Range<Int>) -> Void) {
        let chunks = chunkCount(samples)
        let workers = Swift.min(requested, chunks)
        func run(_ c: Int) { body(c, (c * samplesPerChunk)..<Swift.min(samples, (c + 1) * samplesPerChunk)) }
        if workers <= 1 {
            for c in 0..<chunks { run(c) }
            return
        }
        withoutActuallyEscaping(run) { run in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for c in stride(from: w, to: chunks, by: workers) { run(c) }
            }
        }
    }
}
