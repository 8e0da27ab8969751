/// A trainable tensor with its gradient, as `torch.nn.Parameter` with `.grad`.
///
/// A reference type because a model, its optimizer and the optimizer's param groups all see
/// the same parameter. `grad == nil` is PyTorch's `None` gradient: the optimizer skips the
/// parameter entirely (no update, no state); a zero gradient still takes a full step.
public final class Parameter {
    /// The dotted name PyTorch gives it in `model.state_dict()` ("conv1.weight").
    public var name: String
    public var value: Tensor
    public var grad: Tensor?

    public init(name: String, value: Tensor, grad: Tensor? = nil) {
        self.name = name
        self.value = value
        self.grad = grad
    }

    public var shape: [Int] { value.shape }
}
