/// The seed's network: the CNN of PyTorch's CIFAR-10 tutorial ("Training a Classifier").
///
/// `[N, 3, 32, 32]` → conv1 (3→6, 5x5) → ReLU → max-pool 2 → conv2 (6→16, 5x5) → ReLU →
/// max-pool 2 → flatten (400, in C·H·W order) → fc1 (400→120) → ReLU → fc2 (120→84) → ReLU →
/// fc3 (84→10) → logits `[N, 10]`.
///
/// Parameters, in `named_parameters()` order with PyTorch's names and shapes:
/// `conv1.weight [6,3,5,5]`, `conv1.bias [6]`, `conv2.weight [16,6,5,5]`, `conv2.bias [16]`,
/// `fc1.weight [120,400]`, `fc1.bias [120]`, `fc2.weight [84,120]`, `fc2.bias [84]`,
/// `fc3.weight [10,84]`, `fc3.bias [10]` (62,006 scalars). Initialised with PyTorch's
/// defaults (see `Init`), drawn in that order from
/// `RandomGenerator(seed: seed, stream: .initialisation)`: the same seed gives the same
/// weights everywhere (not PyTorch's numbers: its generator differs).
public final class LeNet: Sequential {
    public init(seed: UInt64) {
        var g = RandomGenerator(seed: seed, stream: .initialisation)
        let conv1 = Conv2d(3, 6, kernelSize: 5, generator: &g)
        let conv2 = Conv2d(6, 16, kernelSize: 5, generator: &g)
        let fc1 = Linear(16 * 5 * 5, 120, generator: &g)
        let fc2 = Linear(120, 84, generator: &g)
        let fc3 = Linear(84, 10, generator: &g)
        super.init([
            ("conv1", conv1), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),
            ("conv2", conv2), ("relu2", ReLU()), ("pool2", MaxPool2d(2)),
            ("flatten", Flatten()),
            ("fc1", fc1), ("relu3", ReLU()),
            ("fc2", fc2), ("relu4", ReLU()),
            ("fc3", fc3),
        ])
    }
}
