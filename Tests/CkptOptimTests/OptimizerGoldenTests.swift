import CkptCore
import Testing
@testable import CkptOptim

/// Our optimizers against PyTorch 2.15 on CPU (fixtures/optim, written by
/// fixtures/make_optim_fixtures.py): every element of every step of ≥ 20 steps.
///
/// PyTorch's MKL `sqrt` is not correctly rounded, so for Adam, AdamW, RMSprop and Adagrad the
/// fixtures hold two runs: one with `Tensor.sqrt` swapped for an IEEE sqrt (nothing else
/// changed), which we must match bit for bit, and PyTorch unchanged, which we must match one
/// step at a time within 4 ulp at the scale of the step's operands.
@Suite struct OptimizerGoldenTests {
    static let all = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]

    /// Free-running, 20+ steps: bit-identical to PyTorch (SGD: PyTorch itself; the others:
    /// PyTorch with an IEEE sqrt), which shows the only difference left is PyTorch's sqrt.
    /// `portable` runs the fmaf() loops instead of the AVX2+FMA ones: both must give these bits.
    @Test(arguments: all, [false, true])
    func bitIdenticalEveryStep(optimizer: String, portable: Bool) throws {
        let file = try OptimFixture.load(optimizer)
        #expect(file.cases.count >= 3)
        for c in file.cases {
            let name = c["name"]!.stringValue!
            let (params, opt) = try OptimFixture.build(file, c)
            opt.portableKernels = portable
            let steps = c["steps"]!.arrayValue!
            #expect(steps.count >= 20)
            for (t, expected) in steps.enumerated() {
                OptimFixture.setGrads(file, c, params, step: t)
                try opt.step()
                for (i, p) in params.enumerated() {
                    let d = maxUlp(p.value.storage, OptimFixture.floats(expected.arrayValue![i].stringValue!))
                    #expect(d == 0, "\(optimizer)/\(name) step \(t) param \(i): \(d) ulp from PyTorch")
                }
            }
        }
    }

    /// Against PyTorch's own (MKL sqrt) numbers, one step at a time: before each step the
    /// parameters, and RMSprop's momentum buffer (the only state that carries a sqrt's
    /// rounding), are set to PyTorch's values after the previous step. The error is measured
    /// in ulps of the largest of the old and new parameter values, because `p + update` can
    /// cancel and turn one ulp of the update into many ulps of a near-zero result (for RMSprop
    /// with momentum, the update's own operand `lr*g/avg` counts too).
    @Test(arguments: ["Adam", "AdamW", "RMSprop", "Adagrad"])
    func withinFourUlpOfPyTorchMKL(optimizer: String) throws {
        let file = try OptimFixture.load(optimizer)
        var worstScaled: Float = 0, worstRaw: Int64 = 0, differing = 0, total = 0
        for c in file.cases {
            let name = c["name"]!.stringValue!
            let (params, opt) = try OptimFixture.build(file, c)
            let steps = c["steps_mkl"]!.arrayValue!
            let buffers = c["momentum_buffers_mkl"]?.arrayValue ?? []
            #expect(steps.count >= 20)
            for (t, expected) in steps.enumerated() {
                var before: [[Float]] = params.map(\.value.storage)
                if t > 0 {
                    for (i, p) in params.enumerated() {
                        p.value.storage = OptimFixture.floats(steps[t - 1].arrayValue![i].stringValue!)
                        before[i] = p.value.storage
                        if t - 1 < buffers.count, case .string(let b) = buffers[t - 1].arrayValue![i] {
                            opt.state[ObjectIdentifier(p)]?["momentum_buffer"] =
                                .tensor(TensorData(shape: p.shape, storage: .float32(OptimFixture.floats(b))))
                        }
                    }
                }
                OptimFixture.setGrads(file, c, params, step: t)
                try opt.step()
                for (i, p) in params.enumerated() {
                    let want = OptimFixture.floats(expected.arrayValue![i].stringValue!)
                    // RMSprop with momentum: p -= lr * buf, buf = m*buf + g/avg, so the step's
                    // largest operand may be lr*|g/avg|, recovered from PyTorch's buffers.
                    var updateScale = [Float](repeating: 0, count: want.count)
                    if t < buffers.count, case .string(let nb) = buffers[t].arrayValue![i],
                       let group = opt.paramGroups.first(where: { $0.params.contains { $0 === p } }) {
                        let new = OptimFixture.floats(nb)
                        var old = [Float](repeating: 0, count: new.count)
                        if t > 0, case .string(let ob) = buffers[t - 1].arrayValue![i] { old = OptimFixture.floats(ob) }
                        let lr = Float(group.lr), m = Float(group["momentum"]!.doubleValue!)
                        updateScale = zip(new, old).map { lr * max($0.magnitude, ($0 - m * $1).magnitude) }
                    }
                    for (k, (a, b)) in zip(p.value.storage, want).enumerated() {
                        total += 1
                        let raw = ulpDistance(a, b)
                        if raw == 0 { continue }
                        differing += 1
                        worstRaw = max(worstRaw, raw)
                        let scale = max(a.magnitude, b.magnitude, before[i][k].magnitude, updateScale[k]).ulp
                        let scaled = (a - b).magnitude / scale
                        worstScaled = max(worstScaled, scaled)
                        #expect(scaled <= 4, "\(optimizer)/\(name) step \(t) param \(i)[\(k)]: \(a) vs PyTorch \(b)")
                    }
                }
            }
        }
        print("\(optimizer) vs PyTorch (MKL sqrt), per step: \(differing) of \(total) elements differ, max \(worstRaw) ulp of the result, max \(worstScaled) ulp at the operands' scale")
    }

    /// The final `state_dict()`: same structure, key order and Python types as PyTorch's, and
    /// bitwise-equal values (PyTorch with IEEE sqrt for the optimizers that take one).
    @Test(arguments: all)
    func stateDictMatchesPyTorch(optimizer: String) throws {
        let file = try OptimFixture.load(optimizer)
        for c in file.cases {
            let name = c["name"]!.stringValue!
            let (params, opt) = try OptimFixture.build(file, c)
            for t in 0..<c["steps"]!.arrayValue!.count {
                OptimFixture.setGrads(file, c, params, step: t)
                try opt.step()
            }
            var ours = opt.stateDict()
            #expect(ours.keys.first == "type")
            #expect(ours.removeValue(forKey: "type") == .string(optimizer))
            compare(ours: .dict(ours), torch: c["state_dict"]!, path: "\(optimizer)/\(name)")
        }
    }

    /// PyTorch's own state dict (no `type` key) loads into a fresh optimizer and comes back
    /// out unchanged: same keys, order, types and bits.
    @Test(arguments: all)
    func loadsPyTorchStateDict(optimizer: String) throws {
        let file = try OptimFixture.load(optimizer)
        for c in file.cases {
            let name = c["name"]!.stringValue!
            let (_, opt) = try OptimFixture.build(file, c)
            let torch = c["state_dict"]!.dictValue!
            try opt.loadStateDict(torch)
            var ours = opt.stateDict()
            _ = ours.removeValue(forKey: "type")
            compare(ours: .dict(ours), torch: .dict(torch), path: "\(optimizer)/\(name) loaded")
        }
    }

    /// Same structure, key order, Python types and bits; names the first differing path.
    func compare(ours: StateValue, torch: StateValue, path: String) {
        switch (ours, torch) {
        case (.dict(let a), .dict(let b)):
            #expect(a.keys == b.keys, "\(path): keys \(a.keys) vs PyTorch \(b.keys)")
            for k in b.keys { if let x = a[k], let y = b[k] { compare(ours: x, torch: y, path: "\(path).\(k)") } }
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            #expect(a.count == b.count, "\(path): length \(a.count) vs PyTorch \(b.count)")
            for (i, (x, y)) in zip(a, b).enumerated() { compare(ours: x, torch: y, path: "\(path)[\(i)]") }
        default:
            #expect(ours.bitwiseEqual(torch), "\(path): \(ours.kindName) \(ours) vs PyTorch \(torch.kindName) \(torch)")
        }
    }
}
