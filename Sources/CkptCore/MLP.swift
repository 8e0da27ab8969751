/// A multi-layer perceptron for flat (or flattened) data: Linear layers of `sizes` with ReLU
/// between them (none after the last), inputs flattened first.
///
/// `sizes = [in, h1, ..., classes]`, e.g. `[3072, 128, 10]`. The names are those PyTorch gives
/// `self.net = nn.Sequential(nn.Flatten(), nn.Linear(in, h1), nn.ReLU(), ..., nn.Linear(hk, classes))`:
/// `net.1.weight`, `net.1.bias`, `net.3.weight`, ... (index 0 is the Flatten, odd indices are
/// Linear layers). Initialised like `LeNet`, from `RandomGenerator(seed:stream: .initialisation)`.
public final class MLP: Sequential {
    public let sizes: [Int]

    /// Throws when `sizes` has fewer than two entries or a non-positive size.
    public init(sizes: [Int], seed: UInt64) throws {
        guard sizes.count >= 2, sizes.allSatisfy({ $0 > 0 }) else {
            throw ModelError.invalidState("MLP sizes must list at least the input and output sizes, all positive; got \(sizes)")
        }
        self.sizes = sizes
        var g = RandomGenerator(seed: seed, stream: .initialisation)
        var layers: [Layer] = [Flatten()]
        for i in 0..<(sizes.count - 1) {
            if i > 0 { layers.append(ReLU()) }
            layers.append(Linear(sizes[i], sizes[i + 1], generator: &g))
        }
        super.init([("net", Sequential(layers))])
    }
}

/// Builds a model by name, as a run config names it: `"lenet"` (ignores `sizes`) or
/// `"mlp"` (`sizes = [in, hidden..., classes]`). Throws on an unknown type or bad sizes.
public func makeModel(type: String, sizes: [Int] = [], seed: UInt64) throws -> Sequential {
    switch type.lowercased() {
    case "lenet": return LeNet(seed: seed)
    case "mlp": return try MLP(sizes: sizes, seed: seed)
    default: throw ModelError.invalidState("unknown model type '\(type)': expected \"lenet\" or \"mlp\"")
    }
}
