/// The model of a run (LeNet or MLP, a `Sequential`), as the training loop sees it.
public final class RunModel {
    /// The network: `module(images)` gives logits; its layers keep PyTorch's names.
    public let module: Sequential

    /// Wraps a network the caller built (any `Sequential` whose layers keep PyTorch's names).
    public init(_ module: Sequential) { self.module = module }

    /// The config's model (`lenet` or `mlp`), initialised from the seed, after checking that it
    /// takes samples of `sampleShape`.
    convenience init(config: RunConfig, sampleShape: [Int]) throws {
        switch config.model.type {
        case .lenet:
            guard sampleShape == [3, 32, 32] else {
                throw RunError.config("model.type: lenet takes [3, 32, 32] images, but the data's samples are \(sampleShape) (use \"type\": \"mlp\")")
            }
        case .mlp:
            let features = sampleShape.reduce(1, *)
            guard config.model.sizes.first == features else {
                throw RunError.config("model.sizes[0]: \(config.model.sizes[0]) inputs, but each sample has \(features) values (shape \(sampleShape))")
            }
        }
        self.init(try makeModel(type: config.model.type.rawValue, sizes: config.model.sizes, seed: config.seed))
    }

    /// Parameters in `model.parameters()` order; the optimizer's groups share them.
    public var parameters: [Parameter] { module.parameters() }

    /// Forward, mean cross-entropy loss, backward: ADDS each parameter's gradient (as
    /// `loss.backward()` does; call `optimizer.zeroGrad()` first) and returns `loss.item()`.
    public func forwardBackward(_ batch: Batch) throws -> Float {
        try module.forwardBackward(images: batch.images, labels: batch.labels)
    }

    /// `model.state_dict()`: name → float32 tensor, in parameter order.
    public func stateDict() -> StateDict { module.stateDict() }

    /// `model.load_state_dict(sd, strict:)`; a shape mismatch names the key and both shapes.
    @discardableResult
    public func loadStateDict(_ sd: StateDict, strict: Bool = true) throws -> (missing: [String], unexpected: [String]) {
        try module.loadStateDict(sd, strict: strict)
    }

    /// Mean cross-entropy loss and accuracy (fraction correct) over `data`, in dataset order
    /// and batches of `batchSize` (the seed's test loop, under `torch.no_grad()`): changes no
    /// parameter and no gradient. The loss is the mean over samples, summed in double.
    public func evaluate(_ data: Dataset, batchSize: Int) throws -> (loss: Double, accuracy: Double) {
        var total = 0.0
        var correct = 0
        for batch in Batches(data, batchSize: batchSize, shuffle: false, seed: 0, epoch: 0) {
            let logits = try module(batch.images)
            let (loss, _) = try CrossEntropyLoss()(logits, batch.labels)
            total += Double(loss) * Double(batch.labels.count)
            let c = logits.shape.last ?? 1
            for (r, label) in batch.labels.enumerated() {
                var best = 0
                for j in 1..<c where logits.storage[r * c + j] > logits.storage[r * c + best] { best = j }
                if best == Int(label) { correct += 1 }
            }
        }
        let n = Double(max(data.count, 1))
        return (total / n, Double(correct) / n)
    }
}
