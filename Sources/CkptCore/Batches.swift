/// One mini-batch: `images` `[B, ...]` (a copy of the dataset rows), `labels` (B), and the
/// dataset indices they came from.
public struct Batch: Sendable {
    public var images: Tensor
    public var labels: [Int32]
    public var indices: [Int]
}

/// The batches of one epoch, as `DataLoader(dataset, batch_size, shuffle)` yields them
/// (`drop_last=False`: the last batch may be smaller).
///
/// The order is a pure function of `(seed, epoch)`: the samples used are the first `limit`
/// of the dataset (all when `nil`); with `shuffle`, they are visited in the order of
/// `RandomGenerator(seed: seed, stream: .shuffle, index: epoch).permutation(n)`, otherwise in
/// dataset order. No state is carried between epochs, so a run resumed at epoch `e`, batch
/// `k` continues with `Batches(..., epoch: e, startBatch: k)` and sees exactly the samples an
/// uninterrupted run would have seen.
public struct Batches: Sequence, Sendable {
    public let dataset: Dataset
    public let batchSize: Int
    /// The visiting order (dataset indices) of this epoch.
    public let order: [Int]
    /// The first batch this sequence yields (0 for a full epoch).
    public let startBatch: Int

    public init(
        _ dataset: Dataset, batchSize: Int, shuffle: Bool, seed: UInt64, epoch: Int,
        limit: Int? = nil, startBatch: Int = 0
    ) {
        self.dataset = dataset
        self.batchSize = Swift.max(1, batchSize)
        let n = Swift.min(dataset.count, Swift.max(0, limit ?? dataset.count))
        if shuffle {
            var g = RandomGenerator(seed: seed, stream: .shuffle, index: UInt64(Swift.max(0, epoch)))
            order = g.permutation(n)
        } else {
            order = Array(0..<n)
        }
        self.startBatch = Swift.max(0, startBatch)
    }

    /// Batches in a full epoch: ceil(samples / batchSize).
    public var batchCount: Int { (order.count + batchSize - 1) / batchSize }

    public func makeIterator() -> Iterator { Iterator(owner: self, position: startBatch) }

    public struct Iterator: IteratorProtocol {
        let owner: Batches
        var position: Int

        public mutating func next() -> Batch? {
            guard position < owner.batchCount else { return nil }
            defer { position += 1 }
            return owner.batch(position)
        }
    }

    /// Batch number `i` of the epoch (`0..<batchCount`).
    public func batch(_ i: Int) -> Batch {
        let lo = i * batchSize, hi = Swift.min(order.count, lo + batchSize)
        let idx = Array(order[lo..<hi])
        let sample = dataset.sampleShape.reduce(1, *)
        var images = [Float](repeating: 0, count: idx.count * sample)
        dataset.images.storage.withUnsafeBufferPointer { src in
            images.withUnsafeMutableBufferPointer { dst in
                for (r, j) in idx.enumerated() {
                    (dst.baseAddress! + r * sample).update(from: src.baseAddress! + j * sample, count: sample)
                }
            }
        }
        return Batch(images: Tensor(shape: [idx.count] + dataset.sampleShape, storage: images),
                     labels: idx.map { dataset.labels[$0] }, indices: idx)
    }
}
