/// A differentiable layer whose forward and backward passes work on caller-owned buffers.
///
/// Contract (one training step): `forward` reads `input` (`inputShape`, batch first) and writes
/// `outputShape(for: inputShape)` elements to `output`; it may keep what its backward needs
/// (im2col columns, arg-max indices) in its own workspaces. `backward` is then called with the
/// same `input`, the `output` forward wrote and `gradOutput` (dL/d output); it ADDS the
/// parameter gradients into `Parameter.grad` (creating them when `nil`, as PyTorch's autograd
/// does) and, when `gradInput` is non-nil, WRITES dL/d input there.
///
/// Parameters carry their PyTorch names; a container (`Sequential`) prefixes its children's names.
public protocol Layer: Module {
    /// The output shape for `inputShape`, or an error naming the layer and the shape.
    func outputShape(for inputShape: [Int]) throws -> [Int]
    func forward(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>)
    func backward(
        input: UnsafePointer<Float>, inputShape: [Int], output: UnsafePointer<Float>,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?)
    /// True when forward and backward treat each sample on its own (every sum across samples
    /// is per fixed chunk, in chunk order), so a data-parallel step may run the layer on a
    /// rank's chunks alone and get the single-process bits (`Sequential.partition`).
    var isPerSample: Bool { get }
}

extension Layer {
    public func parameters() -> [Parameter] { [] }
    public var isPerSample: Bool { false }

    /// Forward pass on tensors (allocates the output): for tests and one-off use.
    public func forward(_ input: Tensor) throws -> Tensor {
        var out = Tensor(shape: try outputShape(for: input.shape))
        input.storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeMutableBufferPointer { y in
                forward(input: x.baseAddress!, inputShape: input.shape, output: y.baseAddress!)
            }
        }
        return out
    }

    /// Runs forward on `input`, then backward with `gradOutput`: accumulates parameter
    /// gradients and returns dL/d input. For tests (finite-difference checks) and one-off use.
    public func backward(input: Tensor, gradOutput: Tensor) throws -> Tensor {
        let out = try forward(input)
        guard gradOutput.shape == out.shape else {
            throw ModelError.badInput("\(Self.self): gradOutput shape \(gradOutput.shape) differs from output shape \(out.shape)")
        }
        var gin = Tensor(shape: input.shape)
        input.storage.withUnsafeBufferPointer { x in
            out.storage.withUnsafeBufferPointer { y in
                gradOutput.storage.withUnsafeBufferPointer { gy in
                    gin.storage.withUnsafeMutableBufferPointer { gx in
                        backward(input: x.baseAddress!, inputShape: input.shape, output: y.baseAddress!,
                                 gradOutput: gy.baseAddress!, gradInput: gx.baseAddress!)
                    }
                }
            }
        }
        return gin
    }
}

func shapeString(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
