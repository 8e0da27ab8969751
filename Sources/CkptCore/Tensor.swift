/// A contiguous, row-major float32 n-d array: the compute type of the training core.
///
/// Shapes follow PyTorch: images are `[N, C, H, W]`, conv weights `[out, in, kh, kw]`,
/// linear weights `[out, in]`. Storage is a Swift array, so copies are copy-on-write and
/// `TensorData(self)` shares the buffer.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var storage: [Float]

    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) holds \(shape.reduce(1, *)) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    public var count: Int { storage.count }
}

extension TensorData {
    /// Shares `tensor`'s buffer (no copy).
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, storage: .float32(tensor.storage))
    }
}
