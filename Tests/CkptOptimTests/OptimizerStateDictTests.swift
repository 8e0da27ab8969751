import CkptCore
import Testing
@testable import CkptOptim

private func model(prefix: String = "layer", shapes: [[Int]] = [[4, 3], [5], [2, 2]]) -> [Parameter] {
    shapes.enumerated().map { i, s in
        let n = s.reduce(1, *)
        return Parameter(name: "\(prefix)\(i).weight", value: Tensor(shape: s, storage: (0..<n).map { Float($0) * 0.05 - 0.2 + Float(i) }))
    }
}

private func copy(_ ps: [Parameter]) -> [Parameter] {
    ps.map { Parameter(name: $0.name, value: $0.value) }
}

private func setGrads(_ ps: [Parameter], step: Int) {
    for (j, p) in ps.enumerated() {
        // Parameter 2 has no gradient on even steps: its state starts later.
        if j == 2 && step % 2 == 0 { p.grad = nil; continue }
        p.grad = Tensor(shape: p.shape, storage: (0..<p.value.count).map { Float(($0 * 5 + step * 3 + j) % 13) * 0.0625 - 0.4 })
    }
}

private func build(_ type: String, _ ps: [Parameter]) throws -> Optimizer {
    let groups = [ParamGroup(params: [ps[0]], options: ["lr": 0.02]), ParamGroup(params: Array(ps[1...]), options: [:])]
    switch type {
    case "SGD": return try SGD(groups: groups, options: ["momentum": 0.9, "nesterov": true])
    case "Adam": return try Adam(groups: groups, options: ["amsgrad": true, "weight_decay": 0.01])
    case "AdamW": return try AdamW(groups: groups, options: [:])
    case "RMSprop": return try RMSprop(groups: groups, options: ["centered": true, "momentum": 0.5])
    default: return try Adagrad(groups: groups, options: ["lr_decay": 0.01])
    }
}

/// `stateDict()` / `loadStateDict(_:)`: PyTorch's rules, plus the checks ckpt adds.
@Suite struct OptimizerStateDictTests {
    static let all = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]

    /// 10 steps, save, load into a fresh optimizer on copied parameters, 10 more steps on
    /// both: the resumed run equals the uninterrupted one bit for bit.
    @Test(arguments: all)
    func saveLoadContinueIsBitwise(type: String) throws {
        let a = model(), opt = try build(type, a)
        for t in 0..<10 { setGrads(a, step: t); try opt.step() }
        let saved = opt.stateDict()
        let b = copy(a), resumed = try build(type, b)
        resumed.paramGroups[0].lr = 0.5          // saved hyperparameters override the constructor's
        try resumed.loadStateDict(saved)
        #expect(resumed.paramGroups[0].lr == 0.02)
        #expect(resumed.stateDict().bitwiseEqual(saved))
        for t in 10..<20 {
            setGrads(a, step: t); try opt.step()
            setGrads(b, step: t); try resumed.step()
        }
        for (x, y) in zip(a, b) { #expect(TensorData(x.value).bitwiseEqual(TensorData(y.value))) }
        #expect(opt.stateDict().bitwiseEqual(resumed.stateDict()))
        // The saved dict was a snapshot: later steps did not change it.
        #expect(!opt.stateDict().bitwiseEqual(saved))
    }

    @Test func loadCastsFloat64StateAndKeepsStep() throws {
        let ps = model(), opt = try Adam(ps)
        for t in 0..<3 { setGrads(ps, step: t); try opt.step() }
        var sd = opt.stateDict()
        var state = sd["state"]!.dictValue!
        var s0 = state["0"]!.dictValue!
        let m = s0["exp_avg"]!.tensorValue!
        s0["exp_avg"] = .tensor(TensorData(shape: m.shape, storage: .float64(m.floatArray().map(Double.init))))
        s0["step"] = .double(3)                         // an old float step
        state["0"] = .dict(s0)
        sd["state"] = .dict(state)
        let fresh = try Adam(copy(ps))
        try fresh.loadStateDict(sd)
        let loaded = fresh.stateDict()["state"]!.dictValue!["0"]!.dictValue!
        #expect(loaded["exp_avg"]!.tensorValue!.bitwiseEqual(m))
        #expect(loaded["step"] == .tensor(.scalar(3)))
    }

    @Test func loadRejectsMismatches() throws {
        let ps = model(), sgd = try build("SGD", ps)
        setGrads(ps, step: 1); try sgd.step()
        let saved = sgd.stateDict()

        let adam = try build("Adam", copy(ps))
        let typeError = try #require(error { try adam.loadStateDict(saved) })
        #expect(typeError.message == "optimizer state dict is for SGD, this optimizer is Adam")

        let oneGroup = try SGD(copy(ps), momentum: 0.9)
        #expect(error { try oneGroup.loadStateDict(saved) }?.message.hasPrefix(
            "loaded state dict has a different number of parameter groups") == true)

        let shorter = try SGD(groups: [ParamGroup(params: [ps[0]], options: [:]),
                                       ParamGroup(params: [copy(ps)[1]], options: [:])], options: ["momentum": 0.9])
        #expect(error { try shorter.loadStateDict(saved) }?.message.hasPrefix(
            "loaded state dict contains a parameter group that doesn't match the size of optimizer's group") == true)

        // Same sizes, other names: PyTorch would pair them silently.
        let renamed = try build("SGD", model(prefix: "block"))
        let nameError = try #require(error { try renamed.loadStateDict(saved) })
        #expect(nameError.kind == .stateDictMismatch)
        #expect(nameError.message == "parameter 0 (param_groups[0] position 0): saved 'layer0.weight' [4, 3], optimizer has 'block0.weight' [4, 3]")

        // Same names, other shapes.
        let reshaped = try build("SGD", model(shapes: [[4, 3], [6], [2, 2]]))
        let shapeError = try #require(error { try reshaped.loadStateDict(saved) })
        #expect(shapeError.message == "parameter 1 (param_groups[1] position 0): saved 'layer1.weight' [5], optimizer has 'layer1.weight' [6]")
        // Nothing changed on failure.
        #expect(reshaped.state.isEmpty)
    }

    @Test func loadsPyTorchDictWithoutTypeOrNames() throws {
        let ps = model(), opt = try SGD(ps, momentum: 0.9)
        setGrads(ps, step: 1); try opt.step()
        var sd = opt.stateDict()
        _ = sd.removeValue(forKey: "type")
        var g = sd["param_groups"]!.arrayValue![0].dictValue!
        _ = g.removeValue(forKey: "param_names")
        sd["param_groups"] = .list([.dict(g)])
        let fresh = try SGD(copy(ps), momentum: 0.9)
        try fresh.loadStateDict(sd)
        let out = fresh.stateDict()
        #expect(out["state"]!.bitwiseEqual(opt.stateDict()["state"]!))
        // As PyTorch's load_state_dict: the current names are appended to the saved group.
        let keys = out["param_groups"]!.arrayValue![0].dictValue!.keys
        #expect(keys.suffix(3) == ["fused", "param_names", "params"])
    }
}

private func error(_ body: () throws -> Void) -> OptimizerError? {
    do { try body() } catch let e as OptimizerError { return e } catch { return nil }
    return nil
}
