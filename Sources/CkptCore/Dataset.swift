/// A labelled dataset held in memory: what every data source (CIFAR-10 binaries, an HDF5
/// data file, the synthetic default) produces and what batching reads.
///
/// `images` is `[N, C, H, W]` for image data (`[N, 3, 32, 32]` for CIFAR) or `[N, F]` for
/// flat data, already normalised (ToTensor + Normalize((0.5,)*3, (0.5,)*3) for uint8 input).
/// `labels[i]` is the class of sample `i`, in `0..<classCount`.
public struct Dataset: Sendable {
    public var images: Tensor
    public var labels: [Int32]
    /// Where it came from, for messages ("CIFAR-10 at ./CIFAR10", "synthetic (seed 0)").
    public var source: String

    public init(images: Tensor, labels: [Int32], source: String) {
        precondition(images.shape.first == labels.count, "images \(images.shape) vs \(labels.count) labels")
        self.images = images
        self.labels = labels
        self.source = source
    }

    public var count: Int { labels.count }
    /// Shape of one sample (`[3, 32, 32]`).
    public var sampleShape: [Int] { Array(images.shape.dropFirst()) }
}
