import CkptCore

/// One tensor of a DCP checkpoint put together from its chunks: each chunk (a block of the
/// tensor at `offsets` of size `sizes`, saved by one rank) is copied into place, row by row.
///
/// Before any byte is copied the chunks must tile the tensor exactly: every chunk inside the
/// tensor's size, no two overlapping, and their volumes adding up to the tensor's element
/// count (so, with no overlap, every element is written once). Errors name the tensor and
/// the chunks at fault.
struct DCPTensorAssembly {
    let fqn: String
    let file: String
    let dtype: DType
    let shape: [Int]
    private(set) var bytes: [UInt8]

    init(fqn: String, file: String, dtype: DType, shape: [Int], chunks: [DCPMetadata.Chunk]) throws {
        self.fqn = fqn
        self.file = file
        self.dtype = dtype
        self.shape = shape
        func bad(_ reason: String) -> CheckpointError { .malformed(file: file, path: fqn, reason: reason) }
        let count: Int
        do { count = try TensorData.elementCount(shape, dtype: dtype) } catch { throw bad("size \(shape): \(error)") }
        var total = 0
        for c in chunks {
            for d in 0..<shape.count {
                let (end, o) = c.offsets[d].addingReportingOverflow(c.sizes[d])
                guard !o, end <= shape[d] else {
                    throw bad("the chunk at \(c.offsets) of size \(c.sizes) reaches past the tensor's size \(shape) in dimension \(d): the shards disagree on the tensor's shape")
                }
            }
            total += c.sizes.reduce(1, *)
        }
        // Overlap: sorted by their first offsets, a chunk can overlap only chunks that start
        // before it ends in dimension 0.
        let sorted = chunks.sorted { $0.offsets.lexicographicallyPrecedes($1.offsets) }
        for i in sorted.indices {
            var j = i + 1
            while j < sorted.count {
                let a = sorted[i], b = sorted[j]
                if !shape.isEmpty, b.offsets[0] >= a.offsets[0] + a.sizes[0] { break }
                let overlap = (0..<shape.count).allSatisfy { d in
                    a.offsets[d] < b.offsets[d] + b.sizes[d] && b.offsets[d] < a.offsets[d] + a.sizes[d]
                } && a.sizes.allSatisfy { $0 > 0 } && b.sizes.allSatisfy { $0 > 0 }
                if overlap || shape.isEmpty {
                    throw bad("the chunks at \(a.offsets) (size \(a.sizes)) and \(b.offsets) (size \(b.sizes)) overlap")
                }
                j += 1
            }
        }
        guard total == count else {
            throw bad("its chunks hold \(total) of its \(count) elements (size \(shape)): a shard is missing")
        }
        bytes = [UInt8](repeating: 0, count: count * dtype.size)
    }

    /// Copies `chunk` (a contiguous tensor of `c.sizes`) into place.
    mutating func place(_ chunk: TensorData, at c: DCPMetadata.Chunk, from where_: String) throws {
        guard chunk.dtype == dtype else {
            throw CheckpointError.malformed(file: where_, path: fqn, reason: "a chunk of dtype \(chunk.dtype.rawValue), the metadata says \(dtype.rawValue)")
        }
        guard chunk.shape == c.sizes || (chunk.count == c.sizes.reduce(1, *) && chunk.shape.reduce(1, *) == chunk.count && chunk.shape.count <= 1 && c.sizes.count <= 1) else {
            throw CheckpointError.malformed(file: where_, path: fqn, reason: "a chunk of shape \(chunk.shape), the metadata says \(c.sizes)")
        }
        let size = dtype.size, rank = shape.count
        guard rank > 0 else {
            chunk.withUnsafeBytes { src in bytes.withUnsafeMutableBytes { $0.copyMemory(from: src) } }
            return
        }
        let row = c.sizes[rank - 1] * size
        guard row > 0, c.sizes.allSatisfy({ $0 > 0 }) else { return }
        // Row-major strides of the whole tensor, in elements.
        var strides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        var index = [Int](repeating: 0, count: rank - 1)
        let rows = c.sizes.dropLast().reduce(1, *)
        chunk.withUnsafeBytes { src in
            bytes.withUnsafeMutableBytes { dst in
                for r in 0..<rows {
                    var element = c.offsets[rank - 1]
                    for d in 0..<(rank - 1) { element += (c.offsets[d] + index[d]) * strides[d] }
                    (dst.baseAddress! + element * size).copyMemory(from: src.baseAddress! + r * row, byteCount: row)
                    var d = rank - 2
                    while d >= 0 {
                        index[d] += 1
                        if index[d] < c.sizes[d] { break }
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
    }

    /// The assembled tensor.
    func tensor() throws -> TensorData {
        try TensorData(validating: shape, storage: Self.storage(bytes, dtype: dtype))
    }

    /// Little-endian element bytes as a storage of `dtype`.
    static func storage(_ bytes: [UInt8], dtype: DType) -> TensorData.Storage {
        TensorData.Storage(littleEndianBytes: bytes, dtype: dtype)
    }
}
