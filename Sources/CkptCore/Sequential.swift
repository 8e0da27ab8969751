/// Layers applied in order, as `torch.nn.Sequential`, plus the classifier training step.
///
/// Each child has a name; its parameters are renamed `<child>.<name>` when the container is
/// built (`Sequential([("conv1", conv), ...])` gives `conv1.weight`; the unnamed form names
/// children "0", "1", ... as PyTorch does). Activations and gradients live in grow-only
/// workspaces owned by the container, so steps of the same batch size allocate only the
/// parameter gradients that `zeroGrad()` released.
public class Sequential: Layer {
    public let children: [(name: String, layer: Layer)]
    private let params: [Parameter]
    var activations: [Workspace]
    let gradA = Workspace(), gradB = Workspace()
    let lossGrad = Workspace()
    /// The whole batch's activations and their gradient where a data-parallel step joins its
    /// ranks (`Sequential+Partition.swift`).
    let joined = Workspace(), joinedGrad = Workspace()

    /// The ranks of a data-parallel run this network trains in (nil or size 1: this process
    /// alone). With more ranks, `forwardBackward` computes this rank's chunks of the per-sample
    /// layers and the rest on the gathered batch, and every rank ends with the gradients a
    /// single process computes, bit for bit.
    public var partition: BatchPartition?
    private var shapeCache: (input: [Int], shapes: [[Int]])?

    public init(_ children: [(String, Layer)]) {
        self.children = children.map { (name: $0.0, layer: $0.1) }
        var ps: [Parameter] = []
        for (name, layer) in children {
            for p in layer.parameters() {
                p.name = name + "." + p.name
                ps.append(p)
            }
        }
        params = ps
        activations = children.map { _ in Workspace() }
    }

    /// Children named "0", "1", ... (as `nn.Sequential(a, b, c)`).
    public convenience init(_ layers: [Layer]) {
        self.init(layers.enumerated().map { (String($0.offset), $0.element) })
    }

    public func parameters() -> [Parameter] { params }

    /// Shapes after each child for `input`.
    public func shapes(for input: [Int]) throws -> [[Int]] {
        if let c = shapeCache, c.input == input { return c.shapes }
        var s = input
        var out: [[Int]] = []
        for (name, layer) in children {
            do { s = try layer.outputShape(for: s) } catch let e as ModelError {
                throw ModelError.badInput("layer \(name): \(e.description)")
            }
            out.append(s)
        }
        shapeCache = (input, out)
        return out
    }

    public func outputShape(for s: [Int]) throws -> [Int] { try shapes(for: s).last ?? s }

    public func forward(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>) {
        guard let shapes = try? shapes(for: inputShape) else {
            preconditionFailure("Sequential.forward: call outputShape(for: \(inputShape)) first (Layer contract)")
        }
        guard !children.isEmpty else { output.update(from: input, count: inputShape.reduce(1, *)); return }
        let last = forwardInternal(input, inputShape, shapes)
        output.update(from: last, count: shapes.last!.reduce(1, *))
    }

    /// Runs every child, keeping each activation; returns the last one.
    func forwardInternal(_ input: UnsafePointer<Float>, _ inputShape: [Int], _ shapes: [[Int]]) -> UnsafePointer<Float> {
        var x = input
        var xs = inputShape
        for (i, child) in children.enumerated() {
            let y = activations[i].reserve(shapes[i].reduce(1, *))
            child.layer.forward(input: x, inputShape: xs, output: y)
            x = UnsafePointer(y)
            xs = shapes[i]
        }
        return x
    }

    public func backward(
        input: UnsafePointer<Float>, inputShape: [Int], output: UnsafePointer<Float>,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?
    ) {
        guard let shapes = try? shapes(for: inputShape) else {
            preconditionFailure("Sequential.backward: call outputShape(for: \(inputShape)) first (Layer contract)")
        }
        guard !children.isEmpty else {
            gradInput?.update(from: gradOutput, count: inputShape.reduce(1, *))
            return
        }
        backwardInternal(input, inputShape, shapes, gradOutput, gradInput)
    }

    /// Backward through the children using the activations of the last forward.
    func backwardInternal(
        _ input: UnsafePointer<Float>, _ inputShape: [Int], _ shapes: [[Int]],
        _ gradOutput: UnsafePointer<Float>, _ gradInput: UnsafeMutablePointer<Float>?
    ) {
        let maxCount = ([inputShape] + shapes).map { $0.reduce(1, *) }.max() ?? 0
        var bufs = (gradA.reserve(maxCount), gradB.reserve(maxCount))
        var gy = gradOutput
        for i in stride(from: children.count - 1, through: 0, by: -1) {
            let x = i == 0 ? input : UnsafePointer(activations[i - 1].pointer)
            let xs = i == 0 ? inputShape : shapes[i - 1]
            let gx: UnsafeMutablePointer<Float>? = i == 0 ? gradInput : bufs.0
            children[i].layer.backward(input: x, inputShape: xs, output: activations[i].pointer,
                                       gradOutput: gy, gradInput: gx)
            if let gx { gy = UnsafePointer(gx) }
            swap(&bufs.0, &bufs.1)
        }
    }

    // MARK: classifier API

    /// One training step's forward and backward for a classifier: logits = self(images),
    /// loss = CrossEntropyLoss (mean), then the gradients of the loss are ADDED to every
    /// `Parameter.grad` (call the optimizer's `zeroGrad()` before, as in PyTorch).
    /// `images` is `[B, ...]` matching the first layer; `labels` has B entries in
    /// `0..<classes`. Returns the loss (`loss.item()`).
    public func forwardBackward(images: Tensor, labels: [Int32]) throws -> Float {
        // A network without leading per-sample layers (an MLP) runs whole on every rank.
        if let partition, partition.size > 1, children.first?.layer.isPerSample == true {
            return try partitionedForwardBackward(images: images, labels: labels, partition: partition)
        }
        let shapes = try checkedShapes(images: images, labels: labels)
        let out = shapes.last!
        let b = out[0], c = out[1]
        return images.storage.withUnsafeBufferPointer { xb in
            let x = xb.baseAddress!
            let logits = forwardInternal(x, images.shape, shapes)
            let g = lossGrad.reserve(b * c)
            let loss = labels.withUnsafeBufferPointer { lb in
                CrossEntropyLoss.compute(logits: logits, labels: lb.baseAddress!, batch: b, classes: c, gradLogits: g)
            }
            backwardInternal(x, images.shape, shapes, g, nil)
            return loss
        }
    }

    /// The loss without touching gradients (`with torch.no_grad(): criterion(model(x), y)`).
    public func loss(images: Tensor, labels: [Int32]) throws -> Float {
        let shapes = try checkedShapes(images: images, labels: labels)
        let out = shapes.last!
        return images.storage.withUnsafeBufferPointer { xb in
            let logits = forwardInternal(xb.baseAddress!, images.shape, shapes)
            return labels.withUnsafeBufferPointer { lb in
                CrossEntropyLoss.compute(logits: logits, labels: lb.baseAddress!, batch: out[0], classes: out[1], gradLogits: nil)
            }
        }
    }

    /// The network's output for `images` (`model(images)`), e.g. logits `[B, classes]`.
    public func callAsFunction(_ images: Tensor) throws -> Tensor {
        let shapes = try shapes(for: images.shape)
        var out = Tensor(shape: shapes.last ?? images.shape)
        images.storage.withUnsafeBufferPointer { xb in
            let y = forwardInternal(xb.baseAddress!, images.shape, shapes)
            out.storage.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: y, count: $0.count) }
        }
        return out
    }

    /// The predicted class of each image (arg-max of the logits; first maximum on ties, as
    /// `torch.max(outputs, 1)`).
    public func predict(_ images: Tensor) throws -> [Int32] {
        let logits = try self(images)
        let c = logits.shape.last ?? 1
        return (0..<(logits.count / max(c, 1))).map { r in
            var best = 0
            for j in 1..<c where logits.storage[r * c + j] > logits.storage[r * c + best] { best = j }
            return Int32(best)
        }
    }

    /// Accuracy on `dataset` (the seed's test loop), in batches of `batchSize`, in dataset
    /// order, using the first `limit` samples when given.
    public func evaluate(_ dataset: Dataset, batchSize: Int = 256, limit: Int? = nil) throws -> Evaluation {
        var correct = 0, total = 0
        for batch in Batches(dataset, batchSize: batchSize, shuffle: false, seed: 0, epoch: 0, limit: limit) {
            let p = try predict(batch.images)
            correct += zip(p, batch.labels).filter { $0 == $1 }.count
            total += p.count
        }
        return Evaluation(correct: correct, total: total)
    }

    func checkedShapes(images: Tensor, labels: [Int32]) throws -> [[Int]] {
        let shapes = try shapes(for: images.shape)
        guard let out = shapes.last, out.count == 2 else {
            throw ModelError.badInput("the network's output \(shapes.last.map(shapeString) ?? "[]") is not [batch, classes]")
        }
        guard labels.count == out[0] else {
            throw ModelError.badInput("\(labels.count) labels for a batch of \(out[0]) images")
        }
        for (i, l) in labels.enumerated() where l < 0 || Int(l) >= out[1] {
            throw ModelError.badLabel(index: i, label: l, classes: out[1])
        }
        return shapes
    }
}

/// The result of `Sequential.evaluate`: `correct` of `total` predictions.
public struct Evaluation: Sendable, Equatable {
    public var correct: Int
    public var total: Int
    /// correct / total in [0, 1] (0 for an empty set).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}
