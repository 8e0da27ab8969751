/// 2-D max pooling, as `torch.nn.MaxPool2d(kernelSize, stride)` (stride defaults to the
/// kernel size; no padding, floor mode). Input `[N, C, H, W]`, output `[N, C, OH, OW]` with
/// `OH = (H - k) / s + 1`. Ties and NaN follow PyTorch's CPU kernel: the first maximum in
/// row-major window order wins; a NaN wins over numbers, and a later NaN over an earlier one.
/// The backward routes each gradient to that position.
public final class MaxPool2d: Layer {
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
                forward2x2(x, planes: planes, h: h, w: w, output: y, idx: i)
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
                let gx = gradInput + p * h * w
                let base = p * oh * ow
                for o in 0..<(oh * ow) { gx[Int(idx[base + o])] += gradOutput[base + o] }
            }
        }
    }

    /// The 2x2, stride-2 case (LeNet's), unrolled; same tie and NaN rules.
    @inline(__always)
    private func forward2x2(
        _ input: UnsafePointer<Float>, planes: Int, h: Int, w: Int,
        output: UnsafeMutablePointer<Float>, idx: UnsafeMutablePointer<Int32>
    ) {
        let oh = h / 2, ow = w / 2
        var o = 0
        for p in 0..<planes {
            let x = input + p * h * w
            for y in 0..<oh {
                let r0 = 2 * y * w, r1 = r0 + w
                for xo in 0..<ow {
                    let i0 = r0 + 2 * xo, i1 = i0 + 1, i2 = r1 + 2 * xo, i3 = i2 + 1
                    let v0 = x[i0], v1 = x[i1], v2 = x[i2], v3 = x[i3]
                    // Branch-free first-maximum selection; a NaN anywhere (rare) takes the exact path.
                    var best = v0, bi = i0
                    if v1 > best { best = v1; bi = i1 }
                    if v2 > best { best = v2; bi = i2 }
                    if v3 > best { best = v3; bi = i3 }
                    if (v0 + v1 + v2 + v3).isNaN {
                        best = v0; bi = i0
                        for (v, i) in [(v1, i1), (v2, i2), (v3, i3)] where v > best || v.isNaN {
                            best = v; bi = i
                        }
                    }
                    output[o] = best
                    idx[o] = Int32(bi)
                    o += 1
                }
            }
        }
    }
}
