/// The flat float32 vector operations LBFGS runs on its concatenated gradient and history,
/// rounded as PyTorch's CPU kernels round them where the order is fixed (`add_` with alpha is
/// one fused multiply-add per element). Reductions (`dot`, `abs().sum()`) sum in double and
/// round once: PyTorch's BLAS and cascade sums add in an order of their own, so these agree
/// with it to within float32 rounding, not bit for bit.
enum FlatVector {
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var s = 0.0
        for i in a.indices { s += Double(a[i]) * Double(b[i]) }
        return Float(s)
    }

    /// `x.abs().max()` (NaN wins, as torch.max).
    static func absMax(_ x: [Float]) -> Float {
        var m: Float = 0
        for v in x {
            if v.isNaN { return v }
            m = Swift.max(m, Swift.abs(v))
        }
        return m
    }

    /// `x.abs().sum()`.
    static func absSum(_ x: [Float]) -> Float {
        var s = 0.0
        for v in x { s += Double(Swift.abs(v)) }
        return Float(s)
    }

    /// `x.add_(y, alpha=a)`: `fma(y, a, x)` per element.
    static func addScaled(_ x: inout [Float], _ y: [Float], _ a: Float) {
        for i in x.indices { x[i] = x[i].addingProduct(y[i], a) }
    }

    static func scaled(_ x: [Float], _ a: Float) -> [Float] { x.map { $0 * a } }
}
