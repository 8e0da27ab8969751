import CKernels

/// How Adafactor's step cuts one parameter for its C passes (adafactor_kernels.h) and in what
/// order it adds up the pieces' sums, so that the bits depend on the shape alone, never on the
/// thread count nor on the kernel path.
///
/// - Flat passes (Σ p², Σ update², the vector variance, the final update) run on fixed
///   `KernelSplit.chunkElements` chunks; each chunk's sums come back in its own slot and the
///   slots are added in chunk order.
/// - Row and column sums of g² over the last two dimensions run on fixed tiles of one
///   [rows, cols] matrix: `tileWidth` columns (fewer at the right edge, or `cols` when
///   smaller) by `chunkElements / width` rows. A row's sum adds its tiles' partials left to
///   right, a column's its tiles' partials top to bottom; within a tile a column is one chain
///   in ascending rows, a row eight lanes (adafactor_kernels.h).
///
/// PyTorch reduces in vectorized blocks of its own, so neither its order nor the previous
/// all-Swift sequential double sums are kept; the results stay within the golden tests' bound.
enum AdafactorPasses {
    static let chunk = KernelSplit.chunkElements
    static let tileWidth = 1024

    /// Runs `kernel(start, count, sums)` on every chunk of `0..<n` on up to `threads` threads
    /// and returns the two sums, each added over the chunks in ascending order.
    static func chunkSums(_ n: Int, threads: Int,
                          _ kernel: (_ start: Int, _ count: Int, _ sums: UnsafeMutablePointer<Double>) -> Void)
        -> (Double, Double)
    {
        let chunks = (n + chunk - 1) / chunk
        var partial = [Double](repeating: 0, count: 2 * chunks)
        partial.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress
            KernelSplit.forEachChunk(n, threads: threads, chunk: chunk) { start, count in
                // One thread may get the whole range: its chunks are still summed one by one.
                var s = start
                while s < start + count {
                    let c = Swift.min(chunk, start + count - s)
                    kernel(s, c, base! + 2 * (s / chunk))
                    s += c
                }
            }
        }
        var a = 0.0, b = 0.0
        for c in 0..<chunks {
            a += partial[2 * c]
            b += partial[2 * c + 1]
        }
        return (a, b)
    }

    /// Σ_c g² of every row and Σ_r g² of every column of each of `batches` [rows, cols]
    /// matrices stored one after the other at `g` (rows: [batches * rows], cols: [batches * cols]).
    static func factorSums(_ g: UnsafePointer<Float>, batches: Int, rows: Int, cols: Int,
                           threads: Int, flags: Int32) -> (rows: [Double], cols: [Double]) {
        guard batches > 0, rows > 0, cols > 0 else {
            return ([Double](repeating: 0, count: batches * rows), [Double](repeating: 0, count: batches * cols))
        }
        let width = Swift.min(cols, tileWidth), height = Swift.max(1, chunk / width)
        let segments = (cols + width - 1) / width, blocks = (rows + height - 1) / height
        let rowCount = batches * rows, colCount = batches * cols
        // Every slot is written by exactly one tile (its row_part[r] and all of its col_part).
        let rowPart = UnsafeMutablePointer<Double>.allocate(capacity: segments * rowCount)
        let colPart = UnsafeMutablePointer<Double>.allocate(capacity: blocks * colCount)
        defer { rowPart.deallocate(); colPart.deallocate() }
        KernelSplit.forEachIndex(batches * blocks * segments, threads: threads) { t in
            let b = t / (blocks * segments), block = (t / segments) % blocks, seg = t % segments
            let r0 = block * height, c0 = seg * width
            ckpt_adafactor_tile_sums(g + (b * rows + r0) * cols + c0, cols,
                                     Swift.min(height, rows - r0), Swift.min(width, cols - c0),
                                     rowPart + seg * rowCount + b * rows + r0,
                                     colPart + block * colCount + b * cols + c0, flags)
        }
        return (total(rowPart, parts: segments, of: rowCount), total(colPart, parts: blocks, of: colCount))
    }

    /// Sums `parts` consecutive blocks of `count` values element by element, in block order.
    private static func total(_ x: UnsafePointer<Double>, parts: Int, of count: Int) -> [Double] {
        var out = Array(UnsafeBufferPointer(start: x, count: count))
        for part in 1..<parts {
            for i in 0..<count { out[i] += x[part * count + i] }
        }
        return out
    }
}
