import CkptCore

/// `torch.optim.Adafactor` (torch 2.15): factored second moments, relative step size,
/// update clipping `d`, decoupled weight decay, maximize.
///
/// Follows PyTorch's CPU single-tensor path step by step: `step += 1` (float32);
/// `beta2_t = step**beta2_decay`, `rho = min(lr, 1/sqrt(step))`,
/// `alpha = max(eps2, ||p||/sqrt(numel)) * rho` (before weight decay) in double; for a
/// parameter with two or more dimensions, row and column means of g² over the last two
/// dimensions are `lerp`ed into `row_var` / `col_var` and the estimate is
/// `row_var ⊗ col_var / max(mean(row_var), eps1)`; for a vector, `variance.lerp_(g*g, beta2_t)`;
/// then `update = rsqrt(max(estimate, eps1²)) * g`, `denom = max(1, ||update||/(sqrt(numel)*d))`,
/// `p.add_(update, alpha=-alpha/denom)`. `eps1` None means float32's machine epsilon.
/// Not bit-identical: PyTorch's norms and means reduce in an order of its own and its `rsqrt`
/// is MKL's; ours sum in double. Within a relative 1e-5 of PyTorch over 20 steps (tests).
/// State per parameter with a gradient, created on its first step: `step` (0-d float32), and
/// `row_var` (shape [..., rows, 1]) and `col_var` ([..., 1, cols]) for a parameter with two
/// or more dimensions, or `variance` (shaped like the parameter) otherwise.
public final class Adafactor: TorchOptimizer {
    override public class var optimizerName: String { "Adafactor" }
    override public class var defaultOptions: StateDict {
        ["lr": 1e-2, "beta2_decay": -0.8, "eps": .tuple([.none, 1e-3]), "d": 1.0, "weight_decay": 0.0,
         "foreach": nil, "maximize": false]
    }
    /// `Adafactor(params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, maximize=False)`.
    /// `eps1` nil keeps PyTorch's None (float32's machine epsilon).
    public convenience init(
        _ params: [Parameter], lr: Double? = nil, beta2Decay: Double? = nil, eps1: Double? = nil,
        eps2: Double? = nil, d: Double? = nil, weightDecay: Double? = nil, maximize: Bool? = nil
    ) throws {
        let eps: StateValue? = eps1 == nil && eps2 == nil ? nil
            : .tuple([eps1.map(StateValue.double) ?? .none, .double(eps2 ?? 1e-3)])
        try self.init(params, ["lr": .number(lr), "beta2_decay": .number(beta2Decay), "eps": eps, "d": .number(d),
                               "weight_decay": .number(weightDecay), "maximize": .flag(maximize)])
    }

    /// PyTorch's checks, with its messages ("Learning rate should be >= 0 but is: -1").
    override class func checkOptions(_ o: StateDict) throws {
        func check(_ key: String, _ ok: (Double) -> Bool, _ message: String, _ v: StateValue?) throws {
            if let v, let x = v.doubleValue, !ok(x) {
                throw OptimizerError(.invalidValue, "\(message)\(pyRepr(v))", key: key)
            }
        }
        try check("lr", { 0 <= $0 }, "Learning rate should be >= 0 but is: ", o["lr"])
        try check("beta2_decay", { 0 >= $0 }, "beta2_decay should be <= 0 but is: ", o["beta2_decay"])
        let eps = o["eps"]?.arrayValue ?? []
        if eps.count == 2 {
            try check("eps", { 0 <= $0 }, "epsilon1 should be >= 0 but is: ", eps[0].isNone ? nil : eps[0])
            try check("eps", { 0 <= $0 }, "epsilon2 should be >= 0 but is: ", eps[1])
        }
        try check("d", { 1 <= $0 }, "Clipping threshold d should be >= 1 but is: ", o["d"])
        try check("weight_decay", { 0 <= $0 }, "weight_decay should be >= 0 but is: ", o["weight_decay"])
    }

    override public func step() throws {
        for group in paramGroups {
            let lr = try number(group, "lr"), beta2Decay = try number(group, "beta2_decay")
            let d = try number(group, "d"), wd = try number(group, "weight_decay")
            let maximize = try flag(group, "maximize")
            guard let eps = group["eps"]?.arrayValue, eps.count == 2, let eps2 = eps[1].doubleValue,
                  eps[0].isNone || eps[0].doubleValue != nil else {
                throw OptimizerError(.invalidType, "Adafactor: param group 'eps' must be a pair (None or a number, a number)")
            }
            let eps1 = eps[0].doubleValue ?? Double(Float.ulpOfOne)
            try forEachParameter(in: group, initial: { Self.initialState($0, factored: $0.shape.count > 1) }) { p, grad, s in
                let g = maximize ? grad.map { -$0 } : grad
                let factored = p.shape.count > 1
                let (rows, cols) = factored ? (p.shape[p.shape.count - 2], p.shape[p.shape.count - 1]) : (1, g.count)
                let batches = factored ? g.count / Swift.max(rows * cols, 1) : 1
                try requireBuffers(s, factored ? [] : ["variance"], count: g.count, for: p)
                if factored {
                    try requireBuffers(s, ["row_var"], count: batches * rows, for: p)
                    try requireBuffers(s, ["col_var"], count: batches * cols, for: p)
                }
                let step = Double(s.incrementStep())
                let beta2T = Float(pow(step, beta2Decay))
                let rho = Swift.min(lr, 1 / pow(step, 0.5))
                let numelSqrt = pow(Double(g.count), 0.5)
                let alpha = Swift.max(eps2, Double(Self.norm(p.value.storage)) / numelSqrt) * rho
                if wd != 0 {
                    let decay = Float(1 - lr * wd)
                    for i in p.value.storage.indices { p.value.storage[i] *= decay }
                }
                let floor = Float(eps1 * eps1)
                var update = [Float](repeating: 0, count: g.count)
                if factored {
                    var rowVar = s.takeFloats("row_var")!, colVar = s.takeFloats("col_var")!
                    for b in 0..<batches {
                        let base = b * rows * cols
                        for r in 0..<rows {
                            var sum = 0.0
                            for c in 0..<cols { let x = Double(g[base + r * cols + c]); sum += x * x }
                            let n = Float(sum.squareRoot())
                            rowVar[b * rows + r] = TorchOps.lerp(rowVar[b * rows + r], n * n / Float(cols), beta2T)
                        }
                        for c in 0..<cols {
                            var sum = 0.0
                            for r in 0..<rows { let x = Double(g[base + r * cols + c]); sum += x * x }
                            let n = Float(sum.squareRoot())
                            colVar[b * cols + c] = TorchOps.lerp(colVar[b * cols + c], n * n / Float(rows), beta2T)
                        }
                        var rowSum = 0.0
                        for r in 0..<rows { rowSum += Double(rowVar[b * rows + r]) }
                        let rowMean = Swift.max(Float(rowSum / Double(rows)), Float(eps1))
                        for r in 0..<rows {
                            for c in 0..<cols {
                                let est = rowVar[b * rows + r] * colVar[b * cols + c] / rowMean
                                let k = base + r * cols + c
                                update[k] = (1 / Swift.max(est, floor).squareRoot()) * g[k]
                            }
                        }
                    }
                    s.putFloats("row_var", rowVar, shape: Self.factorShape(p.shape, dropping: 1))
                    s.putFloats("col_var", colVar, shape: Self.factorShape(p.shape, dropping: 2))
                } else {
                    var variance = s.takeFloats("variance")!
                    for i in g.indices {
                        variance[i] = TorchOps.lerp(variance[i], g[i] * g[i], beta2T)
                        update[i] = (1 / Swift.max(variance[i], floor).squareRoot()) * g[i]
                    }
                    s.putFloats("variance", variance, shape: p.shape)
                }
                let denom = Swift.max(1.0, Double(Self.norm(update)) / (numelSqrt * d))
                let scale = Float(-alpha / denom)
                p.value.storage.withUnsafeMutableBufferPointer { x in
                    for i in 0..<update.count { x[i] = TorchOps.fma(update[i], scale, x[i]) }
                }
            }
        }
        try super.step()
    }

    /// The 2-norm as a float32 (PyTorch's `.norm(2)`), summed in double.
    static func norm(_ x: [Float]) -> Float {
        var sum = 0.0
        for v in x { let d = Double(v); sum += d * d }
        return Float(sum.squareRoot())
    }

    /// `shape` with dimension `-k` set to 1 (`row_var` drops the last, `col_var` the one before).
    static func factorShape(_ shape: [Int], dropping k: Int) -> [Int] {
        var s = shape
        s[s.count - k] = 1
        return s
    }

    static func initialState(_ p: Parameter, factored: Bool) -> StateDict {
        guard factored else { return ["step": .tensor(.scalar(0)), "variance": zerosState(p)] }
        func zeros(_ shape: [Int]) -> StateValue {
            .tensor(TensorData(shape: shape, storage: .float32([Float](repeating: 0, count: shape.reduce(1, *)))))
        }
        return ["step": .tensor(.scalar(0)), "row_var": zeros(factorShape(p.shape, dropping: 1)),
                "col_var": zeros(factorShape(p.shape, dropping: 2))]
    }
}
