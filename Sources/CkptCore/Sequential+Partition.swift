/// The data-parallel training step (`Sequential.partition`): exact for any rank count.
///
/// The leading per-sample layers (`Layer.isPerSample`: LeNet's convolutions, ReLUs, pools and
/// flatten) run on this rank's chunks of the batch only. Their output is gathered in rank
/// order, so every rank holds the whole batch's activations; the rest of the network (the
/// Linear layers), the loss and its backward run on that whole batch on every rank, with the
/// very calls a single process makes: OpenBLAS's bits for a row depend on how many rows a call
/// has (docs/MPI.md), so a Linear layer cannot be split by samples without changing them.
/// Backward hands each rank its rows of the joined gradient; each convolution's per-chunk
/// weight partials and per-sample bias sums are gathered and added in chunk order
/// (`Conv2d.accumulateGradients`), as `Conv2d.backward` adds them in one process.
///
/// Every rank makes the same collective calls in the same order, also a rank with no chunks
/// (more ranks than chunks), which contributes nothing.
extension Sequential {
    func partitionedForwardBackward(images: Tensor, labels: [Int32], partition: BatchPartition) throws -> Float {
        let shapes = try checkedShapes(images: images, labels: labels)
        let split = children.prefix { $0.layer.isPerSample }.count
        let n = images.shape[0], classes = shapes.last![1]
        let mine = partition.chunks(of: Compute.chunkCount(n))
        let first = Swift.min(n, mine.lowerBound * Compute.samplesPerChunk)
        let m = Swift.min(n, mine.upperBound * Compute.samplesPerChunk) - first
        func local(_ s: [Int]) -> [Int] { [m] + s.dropFirst() }
        let perSample = { (s: [Int]) in s.dropFirst().reduce(1, *) }
        let inputShape = images.shape

        return try images.storage.withUnsafeBufferPointer { xb in
            let input = xb.baseAddress! + first * perSample(inputShape)
            // Forward: this rank's chunks through the per-sample layers, then the whole batch.
            var x = UnsafePointer(input), xs = local(inputShape)
            for i in 0..<split where m > 0 {
                let y = activations[i].reserve(m * perSample(shapes[i]))
                children[i].layer.forward(input: x, inputShape: xs, output: y)
                (x, xs) = (UnsafePointer(y), local(shapes[i]))
            }
            let joinShape = split == 0 ? inputShape : shapes[split - 1]
            let width = perSample(joinShape)
            let all = try partition.allgather(UnsafeBufferPointer(start: x, count: m * width))
            guard all.count == n * width else {
                throw ModelError.badInput("data-parallel step: gathered \(all.count) values, expected \(n) samples × \(width)")
            }
            let whole = joined.reserve(n * width)
            all.withUnsafeBufferPointer { whole.update(from: $0.baseAddress!, count: all.count) }
            var wx = UnsafePointer(whole), wxs = joinShape
            for i in split..<children.count {
                let y = activations[i].reserve(perSample(shapes[i]) * n)
                children[i].layer.forward(input: wx, inputShape: wxs, output: y)
                (wx, wxs) = (UnsafePointer(y), shapes[i])
            }
            let g = lossGrad.reserve(n * classes)
            let loss = labels.withUnsafeBufferPointer { lb in
                CrossEntropyLoss.compute(logits: wx, labels: lb.baseAddress!, batch: n, classes: classes, gradLogits: g)
            }

            // Backward: the whole batch through the rest, then this rank's rows.
            let maxCount = ([inputShape] + shapes).map { $0.reduce(1, *) }.max() ?? 0
            var bufs = (gradA.reserve(maxCount), gradB.reserve(maxCount))
            var gy = UnsafePointer(g)
            for i in stride(from: children.count - 1, through: split, by: -1) {
                let xi = i == split ? UnsafePointer(whole) : UnsafePointer(activations[i - 1].pointer)
                let xsi = i == split ? joinShape : shapes[i - 1]
                let gx = i == split ? joinedGrad.reserve(n * width) : bufs.0
                children[i].layer.backward(input: xi, inputShape: xsi, output: activations[i].pointer,
                                           gradOutput: gy, gradInput: gx)
                gy = UnsafePointer(gx)
                swap(&bufs.0, &bufs.1)
            }
            gy += first * width
            for i in stride(from: split - 1, through: 0, by: -1) {
                let xi = i == 0 ? UnsafePointer(input) : UnsafePointer(activations[i - 1].pointer)
                let xsi = local(i == 0 ? inputShape : shapes[i - 1])
                let gx: UnsafeMutablePointer<Float>? = i == 0 ? nil : bufs.0
                if let conv = children[i].layer as? Conv2d {
                    try gatherConvolution(conv, input: xi, inputShape: xsi, gradOutput: gy, gradInput: gx,
                                          samples: (m, n), partition: partition)
                } else if m > 0 {
                    children[i].layer.backward(input: xi, inputShape: xsi, output: activations[i].pointer,
                                               gradOutput: gy, gradInput: gx)
                }
                if let gx { gy = UnsafePointer(gx) }
                swap(&bufs.0, &bufs.1)
            }
            return loss
        }
    }

    /// A convolution's backward on this rank's `samples.local` samples, its weight partials and
    /// bias sums gathered from every rank, then added for the whole batch of `samples.all`.
    private func gatherConvolution(
        _ conv: Conv2d, input: UnsafePointer<Float>, inputShape: [Int], gradOutput: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>?, samples: (local: Int, all: Int), partition: BatchPartition
    ) throws {
        let o = conv.outChannels, k = conv.inChannels * conv.kernelSize.0 * conv.kernelSize.1
        var weight = UnsafeBufferPointer<Float>(start: nil, count: 0), bias = weight
        if samples.local > 0 {
            let p = conv.backwardPartials(input: input, inputShape: inputShape, gradOutput: gradOutput, gradInput: gradInput)
            weight = UnsafeBufferPointer(start: p.weight, count: Compute.chunkCount(samples.local) * o * k)
            if conv.bias != nil { bias = UnsafeBufferPointer(start: p.bias, count: samples.local * o) }
        }
        let chunks = Compute.chunkCount(samples.all)
        let weights = try partition.allgather(weight)
        let biases = try partition.allgather(bias)
        guard weights.count == chunks * o * k, conv.bias == nil || biases.count == samples.all * o else {
            throw ModelError.badInput("data-parallel step: gathered \(weights.count) weight partials and \(biases.count) bias sums, expected \(chunks * o * k) and \(samples.all * o)")
        }
        weights.withUnsafeBufferPointer { w in
            biases.withUnsafeBufferPointer { b in
                conv.accumulateGradients(weightPartials: w.baseAddress!, chunks: chunks,
                                         biasSums: b.baseAddress ?? w.baseAddress!, samples: samples.all)
            }
        }
    }
}
