/// PyTorch's default parameter initialisations, drawn from a `RandomGenerator`.
public enum Init {
    /// `kaiming_uniform_(w, a=sqrt(5))` as `nn.Linear`/`nn.Conv2d` use it: gain sqrt(2/(1+5)),
    /// bound = gain·sqrt(3/fan_in) = 1/sqrt(fan_in); values U(-bound, bound).
    public static func kaimingUniform(shape: [Int], fanIn: Int, generator: inout RandomGenerator) -> Tensor {
        let gain = (2.0 / (1.0 + 5.0)).squareRoot()
        let std = gain / Double(fanIn).squareRoot()
        return uniform(shape: shape, bound: 3.0.squareRoot() * std, generator: &generator)
    }

    /// The bias initialisation of `nn.Linear`/`nn.Conv2d`: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    public static func fanInUniform(shape: [Int], fanIn: Int, generator: inout RandomGenerator) -> Tensor {
        uniform(shape: shape, bound: fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0, generator: &generator)
    }

    /// U(-bound, bound) elementwise, drawn in storage order.
    public static func uniform(shape: [Int], bound: Double, generator: inout RandomGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var a = [Float](repeating: 0, count: n)
        for i in 0..<n { a[i] = generator.uniform(-bound, bound) }
        return Tensor(shape: shape, storage: a)
    }
}
