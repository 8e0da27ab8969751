/// max(0, x) elementwise, as `torch.nn.ReLU`; any shape. The backward passes the gradient
/// where the output is > 0 (PyTorch's `threshold_backward` on the result).
public final class ReLU: Layer {
    public init() {}

    public func outputShape(for s: [Int]) throws -> [Int] { s }

    public func forward(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>) {
        let n = inputShape.reduce(1, *)
        for i in 0..<n {
            let v = input[i]
            output[i] = v < 0 ? 0 : v  // NaN passes through, as torch.relu keeps it
        }
    }

    public func backward(
        input: UnsafePointer<Float>, inputShape: [Int], output: UnsafePointer<Float>,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?
    ) {
        guard let gradInput else { return }
        let n = inputShape.reduce(1, *)
        for i in 0..<n { gradInput[i] = output[i] > 0 ? gradOutput[i] : 0 }
    }
}
