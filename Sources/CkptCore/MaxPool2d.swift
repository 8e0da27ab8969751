import CKernels

/// 2-D max pooling, as `torch.nn.MaxPool2d(kernelSize, stride)` (stride defaults to the
/// kernel size; no padding, floor mode). Input `[N, C, H, W]`, output `[N, C, OH, OW]` with
/// `OH = (H - k) / s + 1`. Ties and NaN follow PyTorch's CPU kernel: the first maximum in
/// row-major window order wins; a NaN wins over numbers, and a later NaN over an earlier one.
/// The backward routes each gradient to that position.
public final class MaxPool2d: Layer {
    public var isPerSample: Bool { true }
    public let kernelSize: Int, stride: Int
    private let argmax = IndexWorkspace()

    public init(_ kernelSize: Int, stride: Int? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    public func outputShape(for s: [Int]) throws -> [Int] {
        guard s.count == 4, s[2] >= kernelSize, s[3] >= kernelSize else {
            throw ModelError.badInput("MaxPool2d(\(kernelSize)): expected input [N, C, H, W] with H, W >= \(kernelSize), got \(shapeString(s))")
        }
        return [s[0], s[1], (s[2] - kernelSize) / stride + 1, (s[3] - kernelSize) / stride + 1]
    }

    public func forward(input: UnsafePointer<Float>, inputShape s: [Int], output: UnsafeMutablePointer<Float>) {
        let h = s[2], w = s[3], k = kernelSize, st = stride
        let oh = (h - k) / st + 1, ow = (w - k) / st + 1
        let channels = s[1]
        let idx = argmax.reserve(s[0] * channels * oh * ow)
        // Planes are independent: each chunk of samples pools its own planes.
        Compute.forEachChunk(s[0]) { _, samples in
            let first = samples.lowerBound * channels, planes = samples.count * channels
            let x = input + first * h * w, y = output + first * oh * ow, i = idx + first * oh * ow
            if k == 2 && st == 2 {
                ckpt_maxpool2x2(x, planes, Int32(h), Int32(w), y, i)  // LeNet's pools, 8 outputs per step
            } else {
                forwardAny(x, planes: planes, h: h, w: w, output: y, idx: i)
            }
        }
    }

    private func forwardAny(
        _ input: UnsafePointer<Float>, planes: Int, h: Int, w: Int,
        output: UnsafeMutablePointer<Float>, idx: UnsafeMutablePointer<Int32>
    ) {
        let k = kernelSize, st = stride
        let oh = (h - k) / st + 1, ow = (w - k) / st + 1
        var o = 0
        for p in 0..<planes {
            let x = input + p * h * w
            for y in 0..<oh {
                for xo in 0..<ow {
                    var best = -Float.infinity
                    var bi = (y * st) * w + xo * st
                    for i in 0..<k {
                        let rowStart = (y * st + i) * w + xo * st
                        for j in 0..<k {
                            let v = x[rowStart + j]
                            if v > best || v.isNaN { best = v; bi = rowStart + j }
                        }
                    }
                    output[o] = best
                    idx[o] = Int32(bi)
                    o += 1
                }
            }
        }
    }

    public func backward(
        input: UnsafePointer<Float>, inputShape s: [Int], output: UnsafePointer<Float>,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?
    ) {
        guard let gradInput else { return }
        let h = s[2], w = s[3], k = kernelSize, st = stride
        let oh = (h - k) / st + 1, ow = (w - k) / st + 1
        let channels = s[1]
        let idx = argmax.pointer
        Compute.forEachChunk(s[0]) { _, samples in
            let first = samples.lowerBound * channels
            (gradInput + first * h * w).update(repeating: 0, count: samples.count * channels * h * w)
            for p in first..<(samples.upperBound * channels) {
                // Plane pointers, so the inner loop indexes without overflow-checked arithmetic.
                let gx = gradInput + p * h * w, gy = gradOutput + p * oh * ow, from = UnsafePointer(idx + p * oh * ow)
                for o in 0..<(oh * ow) { gx[Int(from[o])] += gy[o] }
            }
        }
    }
}
