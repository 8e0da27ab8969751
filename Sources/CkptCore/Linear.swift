import CBLAS

/// A fully connected layer, as `torch.nn.Linear(inFeatures, outFeatures)`: y = x·Wᵀ + b.
///
/// Shapes: input `[N, inFeatures]`, output `[N, outFeatures]`, `weight` `[out, in]`,
/// `bias` `[out]`. Parameters are named `weight` and `bias`.
public final class Linear: Layer {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    public func parameters() -> [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    /// Initialised as PyTorch's `reset_parameters()`: U(±1/sqrt(in)) for weight, then bias.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout RandomGenerator) {
        Compute.pinBLAS()
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(name: "weight", value: Init.kaimingUniform(
            shape: [outFeatures, inFeatures], fanIn: inFeatures, generator: &generator))
        self.bias = bias ? Parameter(name: "bias", value: Init.fanInUniform(
            shape: [outFeatures], fanIn: inFeatures, generator: &generator)) : nil
    }

    public func outputShape(for s: [Int]) throws -> [Int] {
        guard s.count == 2, s[1] == inFeatures else {
            throw ModelError.badInput("Linear(\(inFeatures), \(outFeatures)): expected input [N, \(inFeatures)], got \(shapeString(s))")
        }
        return [s[0], outFeatures]
    }

    public func forward(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>) {
        let n = inputShape[0], i = inFeatures, o = outFeatures
        var beta: Float = 0
        if let bias {
            bias.value.storage.withUnsafeBufferPointer { bp in
                for r in 0..<n { (output + r * o).update(from: bp.baseAddress!, count: o) }
            }
            beta = 1
        }
        weight.value.storage.withUnsafeBufferPointer { wp in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(o), Int32(i),
                        1, input, Int32(i), wp.baseAddress, Int32(i), beta, output, Int32(o))
        }
    }

    public func backward(
        input: UnsafePointer<Float>, inputShape: [Int], output: UnsafePointer<Float>,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?
    ) {
        let n = inputShape[0], i = inFeatures, o = outFeatures
        // dW[o, i] += gyᵀ[o, n] × x[n, i]
        weight.withGradient { gw, fresh in
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(o), Int32(i), Int32(n),
                        1, gradOutput, Int32(o), input, Int32(i), fresh ? 0 : 1, gw, Int32(i))
        }
        bias?.withGradient { gb, _ in
            for c in 0..<o {
                // Column c of gy, rows in order, by pointer stride (no overflow-checked r * o + c per element).
                var s: Float = 0, g = gradOutput + c
                for _ in 0..<n { s += g.pointee; g += o }
                gb[c] += s
            }
        }
        guard let gradInput else { return }
        // dx[n, i] = gy[n, o] × W[o, i]
        weight.value.storage.withUnsafeBufferPointer { wp in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(i), Int32(o),
                        1, gradOutput, Int32(o), wp.baseAddress, Int32(i), 0, gradInput, Int32(i))
        }
    }
}
