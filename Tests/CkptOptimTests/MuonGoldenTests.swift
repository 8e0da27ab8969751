import CkptCore
import Testing
@testable import CkptOptim

/// Muon against PyTorch 2.15 on CPU (fixtures/optim/Muon.json): a wide, a tall and a square
/// matrix, 20 steps, Nesterov or not, the three lr adjustments.
///
/// Not bit-identical by design: the Newton-Schulz iteration runs in bfloat16 and PyTorch's
/// bfloat16 matrix products sum in an order of their own, so an element of the orthogonalized
/// update may differ by a bfloat16 ulp or so (2⁻⁸ relative, amplified a little by the
/// iteration). The bound is on each step's parameter change: |ours - PyTorch| <= 5% of the
/// step's adjusted lr, with the parameters restored to PyTorch's before each step (the
/// momentum buffer depends on the gradients only and matches bit for bit). Measured on AVX2
/// with these small matrices (at most 9 x 4): 0, i.e. bit-identical; larger products, which
/// PyTorch's bfloat16 GEMM sums in blocks, are not expected to be.
@Suite struct MuonGoldenTests {
    static let fraction = 0.05

    @Test func everyStepWithinToleranceOfPyTorch() throws {
        let file = try OptimFixture.load("Muon")
        #expect(file.cases.count >= 3)
        var worst = 0.0
        for c in file.cases {
            let name = c["name"]!.stringValue!
            let (params, opt) = try OptimFixture.build(file, c)
            let steps = c["steps"]!.arrayValue!
            #expect(steps.count >= 20)
            for (t, expected) in steps.enumerated() {
                if t > 0 {
                    for (i, p) in params.enumerated() {
                        p.value.storage = OptimFixture.floats(steps[t - 1].arrayValue![i].stringValue!)
                    }
                }
                OptimFixture.setGrads(file, c, params, step: t)
                try opt.step()
                for (i, p) in params.enumerated() {
                    let group = opt.paramGroups.first { $0.params.contains { $0 === p } }!
                    let lr = group.lr * Muon.adjustedRatio(group["adjust_lr_fn"]?.stringValue, rows: p.shape[0], cols: p.shape[1])
                    let want = OptimFixture.floats(expected.arrayValue![i].stringValue!)
                    for (k, (a, b)) in zip(p.value.storage, want).enumerated() {
                        let rel = Double((a - b).magnitude) / lr
                        worst = max(worst, rel)
                        #expect(rel <= Self.fraction, "Muon/\(name) step \(t) param \(i)[\(k)]: \(a) vs PyTorch \(b)")
                    }
                }
            }
        }
        print("Muon vs PyTorch, per step: max difference \(worst) of the step's adjusted lr")
    }

    /// The final state dict: PyTorch's keys, order, types; `momentum_buffer` bit for bit
    /// (float32 lerps of the gradients only, so free-running it is exact).
    @Test func stateDictMatchesPyTorch() throws {
        let file = try OptimFixture.load("Muon")
        for c in file.cases {
            let (params, opt) = try OptimFixture.build(file, c)
            for t in 0..<c["steps"]!.arrayValue!.count {
                OptimFixture.setGrads(file, c, params, step: t)
                try opt.step()
            }
            var ours = opt.stateDict()
            #expect(ours.removeValue(forKey: "type") == .string("Muon"))
            OptimizerGoldenTests().compare(ours: .dict(ours), torch: c["state_dict"]!, path: "Muon/\(c["name"]!.stringValue!)")
        }
    }

    /// Saved after step 7, loaded into a fresh optimizer and continued: bit for bit the
    /// uninterrupted run.
    @Test func resumedRunEqualsUninterrupted() throws {
        let file = try OptimFixture.load("Muon")
        for c in file.cases {
            let total = c["steps"]!.arrayValue!.count
            let (ref, refOpt) = try OptimFixture.build(file, c)
            for t in 0..<total { OptimFixture.setGrads(file, c, ref, step: t); try refOpt.step() }
            let (params, opt) = try OptimFixture.build(file, c)
            for t in 0..<7 { OptimFixture.setGrads(file, c, params, step: t); try opt.step() }
            let (copies, resumed) = try OptimFixture.build(file, c)
            for (a, b) in zip(params, copies) { b.value = a.value }
            try resumed.loadStateDict(opt.stateDict())
            for t in 7..<total { OptimFixture.setGrads(file, c, copies, step: t); try resumed.step() }
            for (a, b) in zip(ref, copies) { #expect(maxUlp(a.value.storage, b.value.storage) == 0) }
            #expect(resumed.stateDict().bitwiseEqual(refOpt.stateDict()))
        }
    }

    /// PyTorch raises for a parameter that is not 2-D (a bias): the message names it.
    @Test func refusesNonMatrixParameters() {
        let w = Parameter(name: "fc.weight", value: Tensor(shape: [2, 3]))
        let b = Parameter(name: "fc.bias", value: Tensor(shape: [2]))
        #expect(throws: OptimizerError(.invalidValue,
            "Muon only supports 2D parameters whereas we found a parameter with size: torch.Size([2]) ('fc.bias')")) {
            _ = try Muon([w, b])
        }
    }

    /// The bfloat16 rounding is c10::BFloat16's: round to nearest, ties to even.
    /// The Newton-Schulz products run in `ckpt_matmul_ordered` (blocked and vectorised, half of
    /// each symmetric product): the bits of the scalar definition, one fmaf chain per element
    /// in ascending k, on the FMA and the portable paths, on 1 to 3 threads, wide and tall
    /// matrices alike; m of 33 and 45 cut the symmetric products into two 32-row blocks
    /// (`symmetricMatmul`).
    @Test(arguments: [(5, 37), (37, 5), (16, 16), (33, 80), (67, 45)])
    func orthogonalizeKeepsTheScalarLoopsBits(rows: Int, cols: Int) {
        var g = RandomGenerator(seed: 7, stream: .shuffle, index: 0)
        let x = (0..<(rows * cols)).map { _ in Float(g.nextDouble()) - 0.5 }
        let c: [Double] = [3.4445, -4.7750, 2.0315]
        let reference = Self.scalarOrthogonalize(x, rows: rows, cols: cols, c: c, steps: 5, eps: 1e-7)
        for portable in [false, true] {
            for threads in [1, 2, 3] {
                let fast = NewtonSchulz.orthogonalize(x, rows: rows, cols: cols, coefficients: c, steps: 5, eps: 1e-7,
                                                      portable: portable, threads: threads)
                #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern), "portable \(portable), \(threads) threads")
            }
        }
    }

    /// Newton-Schulz as first written: triple loops, one TorchOps.fma per term.
    static func scalarOrthogonalize(_ g: [Float], rows: Int, cols: Int, c: [Double], steps: Int, eps: Double) -> [Float] {
        let bf16 = NewtonSchulz.bf16
        let transposed = rows > cols
        let m = transposed ? cols : rows, n = transposed ? rows : cols
        var x = [Float](repeating: 0, count: m * n)
        for i in 0..<rows { for j in 0..<cols { x[transposed ? j * n + i : i * n + j] = bf16(g[i * cols + j]) } }
        var sum: Float = 0
        for v in x { sum = TorchOps.fma(v, v, sum) }
        let norm = Swift.max(bf16(sum.squareRoot()), bf16(Float(eps)))
        for i in x.indices { x[i] = bf16(x[i] / norm) }
        let a = Float(c[0]), b = Float(c[1]), cc = Float(c[2])
        var gram = [Float](repeating: 0, count: m * m), upd = gram, next = x
        for _ in 0..<steps {
            for i in 0..<m { for j in 0..<m {
                var acc: Float = 0
                for k in 0..<n { acc = TorchOps.fma(x[i * n + k], x[j * n + k], acc) }
                gram[i * m + j] = bf16(acc)
            } }
            for i in 0..<m { for j in 0..<m {
                var acc: Float = 0
                for k in 0..<m { acc = TorchOps.fma(gram[i * m + k], gram[k * m + j], acc) }
                upd[i * m + j] = bf16(TorchOps.fma(cc, acc, b * gram[i * m + j]))
            } }
            for i in 0..<m { for j in 0..<n {
                var acc: Float = 0
                for k in 0..<m { acc = TorchOps.fma(upd[i * m + k], x[k * n + j], acc) }
                next[i * n + j] = bf16(TorchOps.fma(a, x[i * n + j], acc))
            } }
            swap(&x, &next)
        }
        guard transposed else { return x }
        var out = [Float](repeating: 0, count: rows * cols)
        for i in 0..<m { for j in 0..<n { out[j * cols + i] = x[i * n + j] } }
        return out
    }

    @Test func bfloat16RoundsToNearestEven() {
        #expect(NewtonSchulz.bf16(1.0) == 1.0)
        #expect(NewtonSchulz.bf16(Float(bitPattern: 0x3F80_8000)) == 1.0)                     // tie: to even
        #expect(NewtonSchulz.bf16(Float(bitPattern: 0x3F81_8000)) == Float(bitPattern: 0x3F82_0000))
        #expect(NewtonSchulz.bf16(Float(bitPattern: 0x3F80_8001)) == Float(bitPattern: 0x3F81_0000))
    }
}
