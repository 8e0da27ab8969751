import CkptCore
import Dispatch

/// How an optimizer step shares one tensor's elements between threads.
///
/// Every update is element-wise (element i of the new state depends on element i of the old
/// state, the gradient and scalars only), and the vector loops give the same bits as the
/// scalar tail (the golden tests check both), so any cut of `0..<n` gives the bits of one
/// thread. The cut is still fixed: `workers` contiguous chunks whose starts are multiples of
/// `alignment` elements, so every chunk but the last runs whole 8-lane vectors and no two
/// threads write the same cache line except at a chunk edge. The caller is one of the workers
/// (the same scheme as `Compute.forEachChunk`, on Dispatch's pool). PyTorch's `fused=True`
/// kernels likewise split each tensor with `at::parallel_for`.
public enum KernelSplit {
    /// Below this many elements per worker a tensor runs on the calling thread alone.
    /// Waking a Dispatch worker and joining it costs some 10–30 µs on Linux; one core updates
    /// 64 Ki Adam elements (1.75 MiB of traffic) in about that time, so smaller tensors (every
    /// LeNet tensor, biases of large models) would pay more for the hand-off than they gain.
    public static let minElementsPerWorker = 1 << 16

    /// Chunk starts are multiples of 16 floats (64 bytes, a cache line when the array is aligned).
    public static let alignment = 16

    /// Calls `body(start, count)` for `workers` contiguous chunks covering `0..<n` exactly once,
    /// concurrently when there is more than one. `body` must write only elements of its chunk.
    /// `minimumPerWorker` is for tests (to split small tensors); steps use the default.
    public static func forEachChunk(_ n: Int, threads: Int, minimumPerWorker: Int = minElementsPerWorker,
                                    _ body: (_ start: Int, _ count: Int) -> Void) {
        let workers = Swift.max(1, Swift.min(threads, n / Swift.max(1, minimumPerWorker)))
        if workers == 1 {
            body(0, n)
            return
        }
        let per = (n + workers - 1) / workers
        let chunk = (per + alignment - 1) / alignment * alignment
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = Swift.min(n, w * chunk), end = Swift.min(n, start + chunk)
            if end > start { body(start, end - start) }
        }
    }
}
