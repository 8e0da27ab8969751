import CKernels
import CkptCore
import Dispatch

/// How an optimizer step shares one tensor's elements between threads.
///
/// Every update is element-wise (element i of the new state depends on element i of the old
/// state, the gradient and scalars only), and the vector loops give the same bits as the
/// scalar tail (the golden tests check both), so any cut of `0..<n` gives the bits of one
/// thread. The cut is still fixed by `n` alone: chunks of `chunkElements` elements (the last
/// shorter), so every chunk but the last runs whole 8-lane vectors and threads meet only at
/// chunk edges. Up to `threads` workers, the caller among them (the same Dispatch pool as
/// `Compute.forEachChunk`), claim chunks in order from a shared counter until none is left:
/// a worker the OS deschedules delays the step by at most one chunk, where halves would make
/// the whole step wait for it (this machine's cores are shared). PyTorch's `fused=True`
/// kernels likewise split each tensor, with `at::parallel_for`.
public enum KernelSplit {
    /// Elements per chunk; a tensor of one chunk or less runs on the calling thread alone.
    /// Waking a Dispatch worker and joining it costs some 10–30 µs on Linux; one core updates
    /// 64 Ki Adam elements (1.75 MiB of traffic) in about that time, so smaller tensors (every
    /// LeNet tensor, biases of large models) would pay more for the hand-off than they gain.
    /// A multiple of 16 floats: chunk edges fall on 64-byte cache lines of an aligned array.
    public static let chunkElements = 1 << 16

    /// Calls `body(start, count)` for the chunks of `chunk` elements covering `0..<n`, each
    /// once, on up to `threads` workers. `body` must write only elements of its chunk.
    /// `chunk` (a multiple of 16) is for tests, to split small tensors; steps use the default.
    public static func forEachChunk(_ n: Int, threads: Int, chunk: Int = chunkElements,
                                    _ body: (_ start: Int, _ count: Int) -> Void) {
        precondition(chunk > 0 && chunk % 16 == 0, "chunk must be a positive multiple of 16")
        let chunks = (n + chunk - 1) / chunk
        if Swift.min(threads, chunks) <= 1 {
            body(0, n)
            return
        }
        forEachIndex(chunks, threads: threads) { c in
            let start = c * chunk
            body(start, Swift.min(chunk, n - start))
        }
    }

    /// Calls `body(i)` for each `i` in `0..<count`, once, on up to `threads` workers claiming
    /// indices in order (the calling thread alone, in order, when one worker is enough): for
    /// work cut into pieces other than flat chunks (Adafactor's tiles).
    public static func forEachIndex(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = Swift.min(threads, count)
        if workers <= 1 {
            for i in 0..<Swift.max(count, 0) { body(i) }
            return
        }
        // Indices are claimed through C's atomic fetch-add (Swift's atomics need macOS 15).
        let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        next.initialize(to: 0)
        defer { next.deallocate() }
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = ckpt_claim_chunk(next)
                if i >= count { return }
                body(i)
            }
        }
    }
}
