/// `torch.nn.Flatten()`: `[N, d1, d2, ...]` → `[N, d1·d2·...]`, the same memory order
/// (so LeNet's fc1 sees features in C, H, W order as PyTorch's `torch.flatten(x, 1)`).
public final class Flatten: Layer {
    public var isPerSample: Bool { true }
    public init() {}

    public func outputShape(for s: [Int]) throws -> [Int] {
        guard let n = s.first else { throw ModelError.badInput("Flatten: input must have a batch dimension, got []") }
        return [n, s.dropFirst().reduce(1, *)]
    }

    public func forward(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>) {
        if UnsafePointer(output) != input { output.update(from: input, count: inputShape.reduce(1, *)) }
    }

    public func backward(
        input: UnsafePointer<Float>, inputShape: [Int], output: UnsafePointer<Float>,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?
    ) {
        guard let gradInput else { return }
        if UnsafePointer(gradInput) != gradOutput { gradInput.update(from: gradOutput, count: inputShape.reduce(1, *)) }
    }
}
