import CBLAS
import CKernels

/// 2-D convolution, as `torch.nn.Conv2d(inChannels, outChannels, kernelSize, stride, padding)`
/// (zero padding, no dilation, groups 1).
///
/// Shapes: input `[N, C, H, W]`, output `[N, O, OH, OW]` with `OH = (H + 2p - kh) / s + 1`;
/// `weight` `[O, C, kh, kw]`, `bias` `[O]`. Parameters are named `weight` and `bias`.
///
/// Computed per fixed chunk of samples (spread over `Compute.threads` workers) as
/// `out = W[O, C·kh·kw] × col` by one of three paths picked from the shapes (`Path`): direct
/// kernels reading the input in place, direct kernels over one sample's im2col columns, or one
/// OpenBLAS sgemm over the chunk's columns side by side. Backward rebuilds the columns instead
/// of keeping the whole batch's from forward (a batch of 64's would be 15 MB for LeNet's conv1).
public final class Conv2d: Layer {
    public var isPerSample: Bool { true }
    public let inChannels: Int, outChannels: Int
    public let kernelSize: (Int, Int), stride: Int, padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    public func parameters() -> [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    private static let directKernels = ckpt_conv_weight_grad_available() != 0
    private let columns = Workspace()
    private let gradColumns = Workspace()
    private let weightPartials = Workspace()
    private let products = Workspace()
    private let biasSums = Workspace()

    /// Parameters initialised as PyTorch's `reset_parameters()`: kaiming-uniform with
    /// a = sqrt(5) for the weight, which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same
    /// bound for the bias; `fan_in = C·kh·kw`. Draws weight then bias from `generator`.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, generator: inout RandomGenerator
    ) {
        Compute.pinBLAS()
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = stride
        self.padding = padding
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Parameter(name: "weight", value: Init.kaimingUniform(
            shape: [outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, generator: &generator))
        self.bias = bias ? Parameter(name: "bias", value: Init.fanInUniform(
            shape: [outChannels], fanIn: fanIn, generator: &generator)) : nil
    }

    public func outputShape(for s: [Int]) throws -> [Int] {
        guard s.count == 4, s[1] == inChannels else {
            throw ModelError.badInput("Conv2d(\(inChannels), \(outChannels)): expected input [N, \(inChannels), H, W], got \(shapeString(s))")
        }
        let oh = (s[2] + 2 * padding - kernelSize.0) / stride + 1
        let ow = (s[3] + 2 * padding - kernelSize.1) / stride + 1
        guard s[2] + 2 * padding >= kernelSize.0, s[3] + 2 * padding >= kernelSize.1 else {
            throw ModelError.badInput("Conv2d: input \(shapeString(s)) is smaller than the kernel \(kernelSize.0)x\(kernelSize.1)")
        }
        return [s[0], outChannels, oh, ow]
    }

    private struct Dims {
        var n, c, h, w, oh, ow, kh, kw, s, p: Int
        var k: Int { c * kh * kw }
        var l: Int { oh * ow }
    }

    private func dims(_ s: [Int]) -> Dims {
        let oh = (s[2] + 2 * padding - kernelSize.0) / stride + 1
        let ow = (s[3] + 2 * padding - kernelSize.1) / stride + 1
        return Dims(n: s[0], c: s[1], h: s[2], w: s[3], oh: oh, ow: ow,
                    kh: kernelSize.0, kw: kernelSize.1, s: stride, p: padding)
    }

    /// How the products are computed, from the shapes alone (so never from the thread count).
    private enum Path {
        /// Direct kernels reading the input rows in place (stride 1, no padding: LeNet's conv1).
        case inPlace
        /// Direct kernels over one sample's columns (few channels, long rows, strided or padded).
        case direct
        /// OpenBLAS sgemm over the columns of a whole chunk of samples side by side: one call of
        /// [O, K] × [K, n·L] instead of n small ones (LeNet's conv2: 16 × 150 × 800).
        case gemm
    }

    private func path(_ d: Dims) -> Path {
        guard d.l >= 256 && outChannels <= 8 && Self.directKernels else { return .gemm }
        return d.s == 1 && d.p == 0 && d.ow >= 8 ? .inPlace : .direct
    }

    public func forward(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>) {
        let d = dims(inputShape), path = path(d)
        let k = d.k, l = d.l, o = outChannels, inSize = d.c * d.h * d.w
        let span = Compute.samplesPerChunk * l, chunks = Compute.chunkCount(d.n)
        let cols = columns.reserve(path == .inPlace ? 1 : chunks * k * span)
        let products = path == .gemm ? self.products.reserve(chunks * o * span) : nil
        withWeightAndBias { w, bias in
            Compute.forEachChunk(d.n) { c, samples in
                let col = cols + c * k * span
                switch path {
                case .inPlace:
                    for b in samples {
                        ckpt_conv_forward_s1(input + b * inSize, Int32(d.c), Int32(d.h), Int32(d.w),
                                             Int32(d.kh), Int32(d.kw), w, bias, Int32(o), output + b * o * l)
                    }
                case .direct:
                    for b in samples {
                        im2col(input + b * inSize, d, col, ld: l)
                        ckpt_conv_forward(w, bias, col, Int32(o), Int32(k), Int32(l), output + b * o * l)
                    }
                case .gemm:
                    let n = samples.count * l, y = products! + c * o * span
                    for (j, b) in samples.enumerated() { im2col(input + b * inSize, d, col + j * l, ld: n) }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(o), Int32(n), Int32(k),
                                1, w, Int32(k), col, Int32(n), 0, y, Int32(n))
                    for (j, b) in samples.enumerated() {
                        for oc in 0..<o {
                            let src = y + oc * n + j * l, dst = output + (b * o + oc) * l
                            let bv = bias?[oc] ?? 0
                            for t in 0..<l { dst[t] = src[t] + bv }
                        }
                    }
                }
            }
        }
    }

    /// Weight gradient, per chunk of samples: dW_c[O, K] = Σ_{b in chunk} gy[b][O, L] × col[b]ᵀ[L, K],
    /// then dW += dW_0 + dW_1 + ... in chunk order, so the sum's order never depends on the
    /// thread count. dx[b] = col2im(Wᵀ[K, O] × gy[b][O, L]).
    public func backward(
        input: UnsafePointer<Float>, inputShape: [Int], output: UnsafePointer<Float>,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?
    ) {
        let sums = backwardPartials(input: input, inputShape: inputShape, gradOutput: gradOutput, gradInput: gradInput)
        accumulateGradients(weightPartials: UnsafePointer(sums.weight), chunks: Compute.chunkCount(inputShape[0]),
                            biasSums: UnsafePointer(sums.bias), samples: inputShape[0])
    }

    /// Backward without the reductions across samples: writes `dx` (when `gradInput` is non-nil)
    /// and returns this call's per-chunk weight partials `[chunks, O, C·kh·kw]` and per-sample
    /// bias sums `[N, O]` (in workspaces valid until the next call). A data-parallel step gathers
    /// both from every rank in chunk order and passes the whole batch's to `accumulateGradients`,
    /// which adds them exactly as a single process does.
    public func backwardPartials(
        input: UnsafePointer<Float>, inputShape: [Int],
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?
    ) -> (weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>) {
        let d = dims(inputShape), path = path(d)
        let k = d.k, l = d.l, o = outChannels, inSize = d.c * d.h * d.w
        let span = Compute.samplesPerChunk * l, chunks = Compute.chunkCount(d.n)
        let cols = columns.reserve(path == .inPlace ? 1 : chunks * k * span)
        let gcols = gradInput == nil ? nil : gradColumns.reserve(chunks * k * span)
        let gathered = path == .gemm ? products.reserve(chunks * o * span) : nil
        let partials = weightPartials.reserve(chunks * o * k)
        withWeightAndBias { w, _ in
            Compute.forEachChunk(d.n) { c, samples in
                let gw = partials + c * o * k, col = cols + c * k * span
                let gcol = gcols.map { $0 + c * k * span }
                switch path {
                case .inPlace, .direct:
                    for b in samples {
                        let accumulate: Int32 = b == samples.lowerBound ? 0 : 1
                        if path == .inPlace {
                            ckpt_conv_weight_grad_s1(gradOutput + b * o * l, input + b * inSize, Int32(d.c), Int32(d.h),
                                                     Int32(d.w), Int32(d.kh), Int32(d.kw), Int32(o), gw, accumulate)
                        } else {
                            im2col(input + b * inSize, d, col, ld: l)
                            ckpt_conv_weight_grad(gradOutput + b * o * l, col, Int32(o), Int32(k), Int32(l), gw, accumulate)
                        }
                        guard let gradInput, let gcol else { continue }
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(l), Int32(o),
                                    1, w, Int32(k), gradOutput + b * o * l, Int32(l), 0, gcol, Int32(l))
                        let gx = gradInput + b * inSize
                        gx.update(repeating: 0, count: inSize)
                        col2im(gcol, d, gx, ld: l)
                    }
                case .gemm:
                    // The chunk's gradients side by side, [O, n·L], matching its columns [K, n·L].
                    let n = samples.count * l, g = gathered! + c * o * span
                    for (j, b) in samples.enumerated() {
                        im2col(input + b * inSize, d, col + j * l, ld: n)
                        for oc in 0..<o { (g + oc * n + j * l).update(from: gradOutput + (b * o + oc) * l, count: l) }
                    }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(o), Int32(k), Int32(n),
                                1, g, Int32(n), col, Int32(n), 0, gw, Int32(k))
                    guard let gradInput, let gcol else { return }
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(n), Int32(o),
                                1, w, Int32(k), g, Int32(n), 0, gcol, Int32(n))
                    for (j, b) in samples.enumerated() {
                        let gx = gradInput + b * inSize
                        gx.update(repeating: 0, count: inSize)
                        col2im(gcol + j * l, d, gx, ld: n)
                    }
                }
            }
        }
        let sums = biasSums.reserve(Swift.max(1, d.n * o))
        if bias != nil {
            for b in 0..<d.n {
                for oc in 0..<o { sums[b * o + oc] = sum(gradOutput + (b * o + oc) * l, l) }
            }
        }
        return (partials, sums)
    }

    /// dW += partial_0 + partial_1 + ... in chunk order; db[o] += Σ_b sums[b, o] in sample order.
    /// `weightPartials` `[chunks, O, C·kh·kw]`, `biasSums` `[samples, O]` (read only with a bias).
    public func accumulateGradients(weightPartials: UnsafePointer<Float>, chunks: Int,
                                    biasSums: UnsafePointer<Float>, samples: Int) {
        let o = outChannels, k = inChannels * kernelSize.0 * kernelSize.1
        weight.withGradient { gw, fresh in
            for c in 0..<chunks {
                let p = weightPartials + c * o * k
                if fresh && c == 0 { gw.update(from: p, count: o * k) } else { addInPlace(p, gw, o * k) }
            }
        }
        bias?.withGradient { gb, _ in
            for oc in 0..<o {
                var s: Float = 0
                for b in 0..<samples { s += biasSums[b * o + oc] }
                gb[oc] += s
            }
        }
    }

    /// Stable pointers to the weight `[O, C·kh·kw]` and the bias `[O]` (nil without bias).
    @inline(__always)
    private func withWeightAndBias(_ body: (UnsafePointer<Float>, UnsafePointer<Float>?) -> Void) {
        weight.value.storage.withUnsafeBufferPointer { wp in
            guard let bias else { return body(wp.baseAddress!, nil) }
            bias.value.storage.withUnsafeBufferPointer { body(wp.baseAddress!, $0.baseAddress!) }
        }
    }

    /// col[(c·kh + i)·kw + j, y·OW + x] = input[c, y·s − p + i, x·s − p + j] (0 outside), with
    /// column rows `ld` floats apart (a chunk's samples side by side).
    @inline(__always)
    private func im2col(_ x: UnsafePointer<Float>, _ d: Dims, _ col: UnsafeMutablePointer<Float>, ld: Int) {
        if d.s == 1 && d.p == 0 && Self.directKernels {  // the C row kernels need AVX2 on x86
            return ckpt_im2col_s1(x, Int32(d.c), Int32(d.h), Int32(d.w), Int32(d.kh), Int32(d.kw), col, ld)
        }
        forEachColumnEntry(d, ld: ld) { c, i in col[c] = i < 0 ? 0 : x[i] }
    }

    /// The adjoint of `im2col`: adds each column entry back to the input position it came from.
    @inline(__always)
    private func col2im(_ col: UnsafePointer<Float>, _ d: Dims, _ x: UnsafeMutablePointer<Float>, ld: Int) {
        if d.s == 1 && d.p == 0 && Self.directKernels {  // the C row kernels need AVX2 on x86
            return ckpt_col2im_s1(col, Int32(d.c), Int32(d.h), Int32(d.w), Int32(d.kh), Int32(d.kw), x, ld)
        }
        forEachColumnEntry(d, ld: ld) { c, i in if i >= 0 { x[i] += col[c] } }
    }

    /// The im2col map for strided or padded convolutions: `body(column index, input index)` for
    /// every column entry in order, with input index -1 where the window lies in the padding.
    @inline(__always)
    private func forEachColumnEntry(_ d: Dims, ld: Int, _ body: (_ column: Int, _ input: Int) -> Void) {
        var row = 0
        for c in 0..<d.c {
            for i in 0..<d.kh {
                for j in 0..<d.kw {
                    for y in 0..<d.oh {
                        let iy = y * d.s - d.p + i
                        for xo in 0..<d.ow {
                            let ix = xo * d.s - d.p + j
                            let inside = iy >= 0 && iy < d.h && ix >= 0 && ix < d.w
                            body(row * ld + y * d.ow + xo, inside ? (c * d.h + iy) * d.w + ix : -1)
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
