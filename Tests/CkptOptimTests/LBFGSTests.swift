import CkptCore
import Foundation
import Testing
@testable import CkptOptim

/// The objective of `fixtures/make_optim_fixtures.py`'s LBFGS cases:
/// f(x) = sign * sum(0.5*w*x*x + b*x + 0.25*x^4), w and b from the script's hash.
private struct Objective {
    var ws: [[Float]], bs: [[Float]], sign: Float

    init(seed: Int, params: [Parameter], sign: Double) {
        ws = params.enumerated().map { i, p in
            OptimFixture.hashValues(seed: seed, param: i, step: 2000, count: p.value.count).map { abs($0) + 0.5 }
        }
        bs = params.enumerated().map { i, p in
            OptimFixture.hashValues(seed: seed, param: i, step: 3000, count: p.value.count).map { $0 * 0.5 }
        }
        self.sign = Float(sign)
    }

    /// PyTorch's closure: gradients set (the analytic derivative), the loss returned.
    func evaluate(_ params: [Parameter]) -> Double {
        var total = 0.0
        for (k, p) in params.enumerated() {
            var g = [Float](repeating: 0, count: p.value.count)
            var sum = 0.0
            for (i, x) in p.value.storage.enumerated() {
                let w = ws[k][i], b = bs[k][i]
                sum += Double(0.5 * w * x * x + b * x + 0.25 * (x * x) * (x * x))
                g[i] = sign * (w * x + b + x * x * x)
            }
            p.grad = Tensor(shape: p.shape, storage: g)
            total += Double(Float(sum))
        }
        return Double(sign) * Double(Float(total))
    }
}

private func values(_ p: [Parameter]) -> [[Float]] { p.map(\.value.storage) }

@Suite struct LBFGSTests {
    static let cases = ["default", "short_history", "strong_wolfe", "strong_wolfe_maximize"]

    static func fixtureCase(_ name: String) throws -> (OptimFixture.File, StateDict) {
        let file = try OptimFixture.load("LBFGS")
        return (file, try #require(file.cases.first { $0["name"]?.stringValue == name }))
    }

    /// Parameters after each step(closure:) and the losses it returned agree with PyTorch's
    /// within float32 tolerance (its dot products and sums reduce in BLAS's order); the state
    /// dict has PyTorch's keys, in its order, with its Python types, and its counters. Near
    /// the minimum, whether `|loss - prev_loss| < tolerance_change` stops an iteration early
    /// turns on the last bits of the loss, so the counters may differ by one and the
    /// parameters by what one more tiny iteration moves (the "default" case: PyTorch 15
    /// iterations, ckpt 16, parameters within 3e-4).
    @Test(arguments: cases)
    func matchesPyTorch(name: String) throws {
        let (file, c) = try Self.fixtureCase(name)
        let (params, opt) = try OptimFixture.build(file, c)
        let lbfgs = try #require(opt as? LBFGS)
        let objective = Objective(seed: Int(c["seed"]!.intValue!), params: params, sign: c["sign"]!.doubleValue!)
        let steps = c["steps"]!.arrayValue!, losses = c["losses"]!.arrayValue!
        var calls = 0
        for (k, expected) in steps.enumerated() {
            let loss = try lbfgs.step { calls += 1; return objective.evaluate(params) }
            let want = losses[k].doubleValue!
            #expect(abs(loss - want) <= 1e-4 * max(1, abs(want)), "\(name) step \(k): loss \(loss), PyTorch \(want)")
            for (p, b64) in zip(params, expected.arrayValue!) {
                let ref = OptimFixture.floats(b64.stringValue!)
                let worst = zip(p.value.storage, ref).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
                #expect(worst <= 1e-3, "\(name) step \(k) \(p.name): relative difference \(worst)")
            }
        }
        #expect(abs(calls - Int(c["closure_calls"]!.intValue!)) <= 1, "\(name): closure calls \(calls)")
        let ours = opt.stateDict(), theirs = c["state_dict"]!.dictValue!
        #expect(ours["param_groups"]!.bitwiseEqual(theirs["param_groups"]!))
        let mine = try #require(ours["state"]?.dictValue?["0"]?.dictValue)
        let ref = try #require(theirs["state"]?.dictValue?["0"]?.dictValue)
        #expect(mine.keys == ref.keys)
        for (key, value) in ref {
            let v = try #require(mine[key])
            #expect(Self.shape(v) == Self.shape(value), "\(name) state \(key): \(v.kindName) vs PyTorch \(value.kindName)")
            if case .int(let want) = value, case .int(let got) = v {
                #expect(abs(got - want) <= 1, "\(name) state \(key): \(got), PyTorch \(want)")
            }
        }
    }

    /// Kind and length of a state value, tensors by shape: what must match PyTorch exactly.
    static func shape(_ v: StateValue) -> String {
        switch v {
        case .tensor(let t): return "tensor\(t.shape)"
        case .list(let a): return "list[" + a.map(shape).joined(separator: ",") + "]"
        default: return v.kindName
        }
    }

    /// PyTorch's state dict loads and saves unchanged (lists of tensors, Python ints and
    /// floats, None entries of `al`), and stepping on from it works.
    @Test(arguments: cases)
    func pyTorchStateDictRoundTrips(name: String) throws {
        let (file, c) = try Self.fixtureCase(name)
        let (params, opt) = try OptimFixture.build(file, c)
        var sd = c["state_dict"]!.dictValue!
        sd["type"] = .string("LBFGS")
        try opt.loadStateDict(sd)
        let back = opt.stateDict()
        let saved = try #require(sd["state"]?.dictValue?["0"]?.dictValue)
        let again = try #require(back["state"]?.dictValue?["0"]?.dictValue)
        #expect(again.keys == saved.keys)
        for (key, value) in saved {
            #expect(again[key]?.bitwiseEqual(value) == true, "\(name) state \(key) changed on the round trip")
        }
        #expect(back["param_groups"]!.bitwiseEqual(sd["param_groups"]!))
        let objective = Objective(seed: Int(c["seed"]!.intValue!), params: params, sign: c["sign"]!.doubleValue!)
        _ = try (opt as! LBFGS).step { objective.evaluate(params) }
    }

    /// Save after each step, restore into a fresh optimizer and parameters, continue: every
    /// later parameter and the final state dict are the bits of the uninterrupted run.
    @Test(arguments: cases)
    func resumesBitForBit(name: String) throws {
        let (file, c) = try Self.fixtureCase(name)
        let steps = 4
        func run(from resumeAt: Int?) throws -> ([[[Float]]], StateDict) {
            var (params, opt) = try OptimFixture.build(file, c)
            let objective = Objective(seed: Int(c["seed"]!.intValue!), params: params, sign: c["sign"]!.doubleValue!)
            var out: [[[Float]]] = []
            for k in 0..<steps {
                if k == resumeAt {
                    let saved = opt.stateDict(), weights = values(params)
                    (params, opt) = try OptimFixture.build(file, c)
                    for (p, w) in zip(params, weights) { p.value.storage = w }
                    try opt.loadStateDict(saved)
                }
                _ = try (opt as! LBFGS).step { objective.evaluate(params) }
                out.append(values(params))
            }
            return (out, opt.stateDict())
        }
        let (straight, final) = try run(from: nil)
        for at in 1..<steps {
            let (resumed, resumedFinal) = try run(from: at)
            #expect(resumed.map { $0.map { $0.map(\.bitPattern) } } == straight.map { $0.map { $0.map(\.bitPattern) } },
                    "\(name): resumed at step \(at)")
            #expect(resumedFinal.bitwiseEqual(final), "\(name): state dict after resuming at step \(at)")
        }
    }

    @Test func refusesWhatPyTorchRefuses() throws {
        let a = Parameter(name: "a", value: Tensor(shape: [2])), b = Parameter(name: "b", value: Tensor(shape: [2]))
        let opt = try LBFGS([a])
        #expect(throws: OptimizerError.self) { try opt.step() }
        #expect(throws: OptimizerError(.invalidValue, "LBFGS doesn't support per-parameter options (parameter groups)")) {
            _ = try LBFGS(groups: [ParamGroup(params: [a], options: [:]), ParamGroup(params: [b], options: [:])])
        }
        let bad = try LBFGS([a], lineSearchFn: "armijo")
        a.value.storage = [1, 2]
        #expect(throws: OptimizerError.self) {
            try bad.step { a.grad = Tensor(shape: [2], storage: [1, 1]); return 1 }
        }
        // max_eval defaults to max_iter * 5 // 4, stored as PyTorch stores it.
        #expect(try LBFGS([b], maxIter: 7).paramGroups[0]["max_eval"] == .int(8))
    }
}
