import CKernels
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
/// is MKL's; ours sum in double, in an order fixed by the shape alone (`AdafactorPasses`), so
/// the bits are the same for any thread count and on both kernel paths. Within a relative 4e-6
/// of PyTorch over 20 steps (tests).
///
/// Each step is at most three C passes over the parameter (adafactor_kernels.h), split over
/// `threads`: the row and column sums of g² (factored parameters only); ||p|| and ||update||
/// (with the vector variance's lerp); and `p = fma(update, scale, p * decay)`, the update
/// recomputed from g rather than stored, maximize a sign in the kernel.
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
            guard let eps = group["eps"]?.arrayValue, eps.count == 2, let eps2 = eps[1].doubleValue,
                  eps[0].isNone || eps[0].doubleValue != nil else {
                throw OptimizerError(.invalidType, "Adafactor: param group 'eps' must be a pair (None or a number, a number)")
            }
            let eps1 = eps[0].doubleValue ?? Double(Float.ulpOfOne)
            let flags = try kernelFlags(group, weightDecay: wd)
            let threads = Swift.max(1, self.threads ?? Compute.threads)
            try forEachParameter(in: group, initial: { Self.initialState($0, factored: $0.shape.count > 1) }) { p, g, s in
                let factored = p.shape.count > 1
                let (rows, cols) = factored ? (p.shape[p.shape.count - 2], p.shape[p.shape.count - 1]) : (1, g.count)
                let batches = factored ? g.count / Swift.max(rows * cols, 1) : 1
                try requireBuffers(s, factored ? [] : ["variance"], count: g.count, for: p)
                if factored {
                    try requireBuffers(s, ["row_var"], count: batches * rows, for: p)
                    try requireBuffers(s, ["col_var"], count: batches * cols, for: p)
                }
                let step = Double(s.incrementStep())
                let moments = SecondMoments(beta2T: Float(pow(step, beta2Decay)), eps1: eps1,
                                            floor: Float(eps1 * eps1), flags: flags, threads: threads)
                let rho = Swift.min(lr, 1 / pow(step, 0.5))
                let numelSqrt = pow(Double(g.count), 0.5)
                let decay = Float(1 - lr * wd)
                // Pass 1 (factored): the factors; pass 2: ||p|| (before weight decay) and ||update||;
                // pass 3: p = fma(update, -alpha/denom, p * decay), update recomputed from g.
                func scale(_ sums: (Double, Double)) -> Float {
                    let alpha = Swift.max(eps2, Double(Float(sums.0.squareRoot())) / numelSqrt) * rho
                    let denom = Swift.max(1.0, Double(Float(sums.1.squareRoot())) / (numelSqrt * d))
                    return Float(-alpha / denom)
                }
                let n = g.count
                if factored {
                    var rowVar = s.takeFloats("row_var")!, colVar = s.takeFloats("col_var")!
                    let rowMean = g.withUnsafeBufferPointer { gp in
                        moments.updateFactors(gp.baseAddress, batches: batches, rows: rows, cols: cols,
                                              rowVar: &rowVar, colVar: &colVar)
                    }
                    Self.withFactorPointers(p, g, rowVar, colVar, rowMean) { x, gp, rv, cv, rm in
                        let sums = AdafactorPasses.chunkSums(n, threads: threads) { start, count, out in
                            ckpt_adafactor_factored_sums(x, gp, start, count, rows, cols, rv, cv, rm, moments.floor, flags, out)
                        }
                        let k = scale(sums)
                        KernelSplit.forEachChunk(n, threads: threads) { start, count in
                            ckpt_adafactor_factored_apply(x, gp, start, count, rows, cols, rv, cv, rm, moments.floor,
                                                          decay, k, flags)
                        }
                    }
                    s.putFloats("row_var", rowVar, shape: Self.factorShape(p.shape, dropping: 1))
                    s.putFloats("col_var", colVar, shape: Self.factorShape(p.shape, dropping: 2))
                } else if n > 0 {
                    var variance = s.takeFloats("variance")!
                    var none1: [Float] = [], none2: [Float] = []
                    withKernelPointers(p, g, &variance, &none1, &none2) { x, gp, v, _, _ in
                        guard let v else { return }
                        let sums = AdafactorPasses.chunkSums(n, threads: threads) { start, count, out in
                            ckpt_adafactor_vector_sums(x + start, gp + start, v + start, count, moments.beta2T,
                                                       moments.floor, flags, out)
                        }
                        let k = scale(sums)
                        KernelSplit.forEachChunk(n, threads: threads) { start, count in
                            ckpt_adafactor_vector_apply(x + start, gp + start, v + start, count, moments.floor, decay, k, flags)
                        }
                    }
                    s.putFloats("variance", variance, shape: p.shape)
                }
            }
        }
        try super.step()
    }

    /// What the second moments of one step need: `beta2_t`, `eps1` and its square (the floor of
    /// the estimate), the kernel flags and the threads.
    struct SecondMoments {
        let beta2T: Float, eps1: Double, floor: Float, flags: Int32, threads: Int

        /// PyTorch's factored update for each [rows, cols] matrix b: `row_var.lerp_(row_mean, beta2_t)`
        /// and `col_var.lerp_(col_mean, beta2_t)` of g², where `row_mean = ||g_row||² / cols` as
        /// PyTorch computes it (`norm(dim=-1, keepdim=True).square_().div_(cols)`: the norm rounded
        /// to float, then squared); returns per matrix `max(mean(row_var), eps1)` (summed in double).
        func updateFactors(_ g: UnsafePointer<Float>?, batches: Int, rows: Int, cols: Int,
                           rowVar: inout [Float], colVar: inout [Float]) -> [Float] {
            let sums: (rows: [Double], cols: [Double]) = g.map {
                AdafactorPasses.factorSums($0, batches: batches, rows: rows, cols: cols, threads: threads, flags: flags)
            } ?? ([Double](repeating: 0, count: batches * rows), [Double](repeating: 0, count: batches * cols))
            var rowMean = [Float](repeating: 0, count: batches)
            for b in 0..<batches {
                for r in 0..<rows {
                    let n = Float(sums.rows[b * rows + r].squareRoot())
                    rowVar[b * rows + r] = TorchOps.lerp(rowVar[b * rows + r], n * n / Float(cols), beta2T)
                }
                for c in 0..<cols {
                    let n = Float(sums.cols[b * cols + c].squareRoot())
                    colVar[b * cols + c] = TorchOps.lerp(colVar[b * cols + c], n * n / Float(rows), beta2T)
                }
                var rowSum = 0.0
                for r in 0..<rows { rowSum += Double(rowVar[b * rows + r]) }
                rowMean[b] = Swift.max(Float(rowSum / Double(rows)), Float(eps1))
            }
            return rowMean
        }
    }

    /// Calls `body` with pointers to `p`'s values (written in place), the gradient and the
    /// factors; not at all for an empty parameter (nothing to update, no addresses).
    static func withFactorPointers(
        _ p: Parameter, _ g: [Float], _ rowVar: [Float], _ colVar: [Float], _ rowMean: [Float],
        _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                 UnsafePointer<Float>, UnsafePointer<Float>) -> Void
    ) {
        guard !g.isEmpty else { return }
        g.withUnsafeBufferPointer { gp in
            p.value.storage.withUnsafeMutableBufferPointer { x in
                rowVar.withUnsafeBufferPointer { rv in
                    colVar.withUnsafeBufferPointer { cv in
                        rowMean.withUnsafeBufferPointer { rm in
                            body(x.baseAddress!, gp.baseAddress!, rv.baseAddress!, cv.baseAddress!, rm.baseAddress!)
                        }
                    }
                }
            }
        }
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
