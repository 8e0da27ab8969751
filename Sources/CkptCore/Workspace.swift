/// A grow-only scratch buffer owned by a layer or a network: activations, im2col columns and
/// gradients (`Workspace`, floats) and max-pool arg-max positions (`IndexWorkspace`) live here,
/// so a training step allocates (almost) nothing once the buffers have grown to the largest
/// batch seen.
final class ScratchBuffer<Element> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init(_ capacity: Int = 0) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// The buffer with room for at least `count` elements (contents undefined after growth).
    @inline(__always)
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
        }
        return pointer
    }
}

typealias Workspace = ScratchBuffer<Float>
typealias IndexWorkspace = ScratchBuffer<Int32>

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
