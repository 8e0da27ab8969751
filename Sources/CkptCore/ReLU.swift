import CKernels

/// max(0, x) elementwise, as `torch.nn.ReLU`; any shape. The backward passes the gradient
/// where the output is > 0 (PyTorch's `threshold_backward` on the result).
public final class ReLU: Layer {
    public var isPerSample: Bool { true }
    public init() {}

    public func outputShape(for s: [Int]) throws -> [Int] { s }

    public func forward(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>) {
        let (samples, per) = Self.split(inputShape)
        Compute.forEachChunk(samples) { _, samples in
            let at = samples.lowerBound * per
            ckpt_relu_forward(input + at, output + at, samples.count * per)  // NaN passes through, as in torch.relu
        }
    }

    public func backward(
        input: UnsafePointer<Float>, inputShape: [Int], output: UnsafePointer<Float>,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?
    ) {
        guard let gradInput else { return }
        let (samples, per) = Self.split(inputShape)
        Compute.forEachChunk(samples) { _, samples in
            let at = samples.lowerBound * per
            ckpt_relu_backward(output + at, gradOutput + at, gradInput + at, samples.count * per)
        }
    }

    /// (samples, elements per sample) for batch-first shapes; a 0-d or 1-d input is one sample.
    private static func split(_ shape: [Int]) -> (Int, Int) {
        shape.count < 2 ? (1, shape.reduce(1, *)) : (shape[0], shape.dropFirst().reduce(1, *))
    }
}
