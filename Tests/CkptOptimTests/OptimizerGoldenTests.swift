import CkptCore
import Testing
@testable import CkptOptim

/// Our optimizers against PyTorch's CPU numbers (fixtures/optim, written by
/// fixtures/make_optim_fixtures.py with torch 2.15): every step, every element.
@Suite struct OptimizerGoldenTests {
    /// PyTorch's MKL sqrt is within 1 ulp of IEEE; 4 ulp allows for its effect on later steps.
    static let tolerance: [String: Int64] = ["SGD": 0, "Adam": 4, "AdamW": 4, "RMSprop": 4, "Adagrad": 4]

    @Test(arguments: ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
    func matchesPyTorchEveryStep(optimizer: String) throws {
        let file = try OptimFixture.load(optimizer)
        let tolerance = Self.tolerance[optimizer]!
        #expect(file.cases.count >= 3)
        var worst: Int64 = 0
        for c in file.cases {
            let name = c["name"]!.stringValue!
            let (params, opt) = try OptimFixture.build(file, c)
            let steps = c["steps"]!.arrayValue!
            #expect(steps.count >= 20)
            for (t, expected) in steps.enumerated() {
                OptimFixture.setGrads(file, c, params, step: t)
                try opt.step()
                for (i, p) in params.enumerated() {
                    let want = OptimFixture.floats(expected.arrayValue![i].stringValue!)
                    let d = maxUlp(p.value.storage, want)
                    worst = max(worst, d)
                    #expect(d <= tolerance, "\(optimizer)/\(name) step \(t) param \(i): \(d) ulp from PyTorch")
                }
            }
        }
        print("\(optimizer): max \(worst) ulp from PyTorch over \(file.cases.count) cases")
    }

    @Test(arguments: ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
    func stateDictMatchesPyTorch(optimizer: String) throws {
        let file = try OptimFixture.load(optimizer)
        let tolerance = Self.tolerance[optimizer]!
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
            let torch = c["state_dict"]!.dictValue!
            compare(ours: .dict(ours), torch: .dict(torch), path: "\(optimizer)/\(name)", tolerance: tolerance)
        }
    }

    /// Same structure, key order and Python types; tensors within `tolerance` ulp.
    func compare(ours: StateValue, torch: StateValue, path: String, tolerance: Int64) {
        switch (ours, torch) {
        case (.dict(let a), .dict(let b)):
            #expect(a.keys == b.keys, "\(path): keys \(a.keys) vs PyTorch \(b.keys)")
            for k in b.keys { if let x = a[k], let y = b[k] { compare(ours: x, torch: y, path: "\(path).\(k)", tolerance: tolerance) } }
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            #expect(a.count == b.count, "\(path): length")
            for (i, (x, y)) in zip(a, b).enumerated() { compare(ours: x, torch: y, path: "\(path)[\(i)]", tolerance: tolerance) }
        case (.tensor(let a), .tensor(let b)):
            #expect(a.shape == b.shape && a.dtype == b.dtype, "\(path): \(a.dtype) \(a.shape) vs \(b.dtype) \(b.shape)")
            let d = maxUlp(a.floatArray(), b.floatArray())
            #expect(d <= tolerance, "\(path): \(d) ulp")
        default:
            #expect(ours.bitwiseEqual(torch), "\(path): \(ours) vs PyTorch \(torch)")
        }
    }
}
