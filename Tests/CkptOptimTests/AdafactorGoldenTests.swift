import CkptCore
import Testing
@testable import CkptOptim

/// Adafactor against PyTorch 2.15 on CPU (fixtures/optim/Adafactor.json): a 2-D and a 3-D
/// parameter (factored `row_var` / `col_var`) and a vector (`variance`), 20 steps.
///
/// Not bit-identical by design: PyTorch's `vector_norm`, `mean` and `norm` reduce in an order
/// of their own (vectorized partial sums) and its `rsqrt` is MKL's; ours sum in double. The
/// bound is relative: |ours - PyTorch| <= 4e-6 * max(|PyTorch|, |before|, |change|), with the
/// run free for all 20 steps (measured on AVX2: 1.8e-6; errors do not grow, as each step's size
/// is normalized).
@Suite struct AdafactorGoldenTests {
    static let tolerance: Float = 4e-6

    @Test func everyStepWithinToleranceOfPyTorch() throws {
        let file = try OptimFixture.load("Adafactor")
        #expect(file.cases.count >= 3)
        var worst: Float = 0
        for c in file.cases {
            let name = c["name"]!.stringValue!
            let (params, opt) = try OptimFixture.build(file, c)
            let steps = c["steps"]!.arrayValue!
            #expect(steps.count >= 20)
            var before = params.map(\.value.storage)
            for (t, expected) in steps.enumerated() {
                OptimFixture.setGrads(file, c, params, step: t)
                try opt.step()
                for (i, p) in params.enumerated() {
                    let want = OptimFixture.floats(expected.arrayValue![i].stringValue!)
                    for (k, (a, b)) in zip(p.value.storage, want).enumerated() {
                        let scale = max(b.magnitude, before[i][k].magnitude, (b - before[i][k]).magnitude)
                        let rel = (a - b).magnitude / scale
                        worst = max(worst, rel)
                        #expect(rel <= Self.tolerance, "Adafactor/\(name) step \(t) param \(i)[\(k)]: \(a) vs PyTorch \(b)")
                    }
                    before[i] = want
                }
            }
        }
        print("Adafactor vs PyTorch, free-running 20 steps: max relative difference \(worst)")
    }

    /// Same keys, key order, Python types and shapes as PyTorch's state dict; `step` exact,
    /// the second-moment factors within the tolerance.
    @Test func stateDictMatchesPyTorch() throws {
        let file = try OptimFixture.load("Adafactor")
        for c in file.cases {
            let (params, opt) = try OptimFixture.build(file, c)
            for t in 0..<c["steps"]!.arrayValue!.count {
                OptimFixture.setGrads(file, c, params, step: t)
                try opt.step()
            }
            var ours = opt.stateDict()
            #expect(ours.removeValue(forKey: "type") == .string("Adafactor"))
            compare(.dict(ours), c["state_dict"]!, "Adafactor/\(c["name"]!.stringValue!)")
        }
    }

    /// PyTorch's own state dict loads (factored shapes included) and comes back out unchanged.
    @Test func loadsPyTorchStateDict() throws {
        let file = try OptimFixture.load("Adafactor")
        for c in file.cases {
            let (_, opt) = try OptimFixture.build(file, c)
            let torch = c["state_dict"]!.dictValue!
            try opt.loadStateDict(torch)
            var ours = opt.stateDict()
            _ = ours.removeValue(forKey: "type")
            OptimizerGoldenTests().compare(ours: .dict(ours), torch: .dict(torch), path: "Adafactor loaded")
        }
    }

    /// Saved after steps 1, 7 and 13, loaded into a fresh optimizer and continued: bit for bit
    /// the uninterrupted run.
    @Test func resumedRunEqualsUninterrupted() throws {
        let file = try OptimFixture.load("Adafactor")
        for c in file.cases {
            let total = c["steps"]!.arrayValue!.count
            let (ref, refOpt) = try OptimFixture.build(file, c)
            for t in 0..<total { OptimFixture.setGrads(file, c, ref, step: t); try refOpt.step() }
            for cut in [1, 7, 13] {
                let (params, opt) = try OptimFixture.build(file, c)
                for t in 0..<cut { OptimFixture.setGrads(file, c, params, step: t); try opt.step() }
                let saved = opt.stateDict()
                let (copies, resumed) = try OptimFixture.build(file, c)
                for (a, b) in zip(params, copies) { b.value = a.value }
                try resumed.loadStateDict(saved)
                for t in cut..<total { OptimFixture.setGrads(file, c, copies, step: t); try resumed.step() }
                for (a, b) in zip(ref, copies) { #expect(maxUlp(a.value.storage, b.value.storage) == 0) }
                #expect(resumed.stateDict().bitwiseEqual(refOpt.stateDict()))
            }
        }
    }

    /// A bias (vector) and a 0-d parameter take the `variance` path, as in PyTorch.
    @Test func vectorsKeepAFullVariance() throws {
        let w = Parameter(name: "w", value: Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]))
        let b = Parameter(name: "b", value: Tensor(shape: [3], storage: [1, -1, 0.5]))
        let opt = try Adafactor([w, b])
        w.grad = Tensor(shape: [2, 3], storage: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
        b.grad = Tensor(shape: [3], storage: [0.1, -0.2, 0.3])
        try opt.step()
        let state = opt.stateDict()["state"]!.dictValue!
        #expect(state["0"]!.dictValue!.keys == ["step", "row_var", "col_var"])
        #expect(state["0"]!.dictValue!["row_var"]!.tensorValue!.shape == [2, 1])
        #expect(state["0"]!.dictValue!["col_var"]!.tensorValue!.shape == [1, 3])
        #expect(state["1"]!.dictValue!.keys == ["step", "variance"])
    }

    func compare(_ ours: StateValue, _ torch: StateValue, _ path: String) {
        switch (ours, torch) {
        case (.dict(let a), .dict(let b)):
            #expect(a.keys == b.keys, "\(path): keys \(a.keys) vs PyTorch \(b.keys)")
            for k in b.keys { if let x = a[k], let y = b[k] { compare(x, y, "\(path).\(k)") } }
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            #expect(a.count == b.count, "\(path): length \(a.count) vs PyTorch \(b.count)")
            for (i, (x, y)) in zip(a, b).enumerated() { compare(x, y, "\(path)[\(i)]") }
        case (.tensor(let a), .tensor(let b)) where !path.hasSuffix(".step"):
            #expect(a.shape == b.shape && a.dtype == b.dtype, "\(path): \(a.shape) vs PyTorch \(b.shape)")
            for (x, y) in zip(a.floatArray(), b.floatArray()) {
                #expect((x - y).magnitude <= Self.tolerance * 4 * y.magnitude, "\(path): \(x) vs PyTorch \(y)")
            }
        default:
            #expect(ours.bitwiseEqual(torch), "\(path): \(ours.kindName) \(ours) vs PyTorch \(torch.kindName) \(torch)")
        }
    }
}
