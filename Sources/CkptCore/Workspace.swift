/// A grow-only float32 scratch buffer owned by a layer or a network: activations, im2col
/// columns and gradients live here so a training step allocates (almost) nothing once the
/// buffers have grown to the largest batch seen.
final class Workspace {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(_ capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// The buffer with room for at least `count` floats (contents undefined after growth).
    @inline(__always)
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
        }
        return pointer
    }
}

/// Same as `Workspace`, for integer indices (max-pool arg-max positions).
final class IndexWorkspace {
    private(set) var pointer: UnsafeMutablePointer<Int32>
    private(set) var capacity: Int

    init() {
        capacity = 1
        pointer = .allocate(capacity: 1)
    }

    deinit { pointer.deallocate() }

    @inline(__always)
    func reserve(_ count: Int) -> UnsafeMutablePointer<Int32> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
        }
        return pointer
    }
}

extension Parameter {
    /// Runs `body` on the gradient storage, creating a zero gradient first when it is `nil`
    /// (PyTorch's first backward after `zero_grad(set_to_none=True)`). `fresh` tells `body`
    /// the buffer is zeros, so it may overwrite instead of adding (same bits: 0 + g == g).
    @inline(__always)
    func withGradient(_ body: (UnsafeMutablePointer<Float>, _ fresh: Bool) -> Void) {
        let fresh = grad == nil
        if fresh { grad = Tensor(shape: value.shape) }
        grad!.storage.withUnsafeMutableBufferPointer { body($0.baseAddress!, fresh) }
    }
}
