import CkptCore
import Testing
@testable import CkptOptim

private func params(_ shapes: [[Int]] = [[4, 3], [5]], prefix: String = "layer") -> [Parameter] {
    shapes.enumerated().map { i, s in
        let n = s.reduce(1, *)
        return Parameter(name: "\(prefix)\(i).weight", value: Tensor(shape: s, storage: (0..<n).map { Float($0 + 1) * 0.1 - 0.3 }))
    }
}

private func setGrads(_ ps: [Parameter], step: Int) {
    for (j, p) in ps.enumerated() {
        p.grad = Tensor(shape: p.shape, storage: (0..<p.value.count).map { Float(($0 * 7 + step * 3 + j) % 11) * 0.125 - 0.5 })
    }
}

private func error(_ body: () throws -> Void) -> OptimizerError? {
    do { try body() } catch let e as OptimizerError { return e } catch { return nil }
    return nil
}

/// Constructors, param groups and gradients, as torch.optim 2.15 behaves.
@Suite struct OptimizerAPITests {
    @Test func constructorChecksUsePyTorchMessages() {
        let ps = params()
        #expect(error { _ = try SGD(ps, lr: -1) }?.message == "Invalid learning rate: -1.0")
        #expect(error { _ = try SGD(ps, momentum: -0.5) }?.message == "Invalid momentum value: -0.5")
        #expect(error { _ = try SGD(ps, weightDecay: -1e-8) }?.message == "Invalid weight_decay value: -1e-08")
        #expect(error { _ = try SGD(ps, nesterov: true) }?.message == "Nesterov momentum requires a momentum and zero dampening")
        #expect(error { _ = try SGD(ps, momentum: 0.9, dampening: 0.1, nesterov: true) }?.message
            == "Nesterov momentum requires a momentum and zero dampening")
        #expect(error { _ = try Adam(ps, betas: (1.0, 0.999)) }?.message == "Invalid beta parameter at index 0: 1.0")
        #expect(error { _ = try Adam(ps, betas: (0.9, -0.1)) }?.message == "Invalid beta parameter at index 1: -0.1")
        #expect(error { _ = try AdamW(ps, eps: -1) }?.message == "Invalid epsilon value: -1.0")
        #expect(error { _ = try RMSprop(ps, alpha: -0.1) }?.message == "Invalid alpha value: -0.1")
        #expect(error { _ = try Adagrad(ps, lrDecay: -1) }?.message == "Invalid lr_decay value: -1.0")
        #expect(error { _ = try Adagrad(ps, initialAccumulatorValue: -1) }?.message == "Invalid initial_accumulator_value value: -1.0")
        #expect(error { _ = try SGD([]) }?.message == "optimizer got an empty parameter list")
        #expect(error { _ = try SGD(groups: [ParamGroup(params: ps, options: [:])], options: ["momentun": 0.9]) }?.message
            == "SGD.__init__() got an unexpected keyword argument 'momentun'")
        #expect(error { _ = try Adam(groups: [ParamGroup(params: ps, options: [:])], options: ["fused": true]) }?.kind == .invalidValue)
        #expect(error { _ = try SGD(ps, momentum: 0.9, nesterov: true) } == nil)
    }

    @Test func defaultsKeepPyTorchKeyOrderAndTypes() throws {
        let ps = params()
        let sgd = try SGD(ps)
        #expect(sgd.paramGroups[0].options.keys == ["param_names", "lr", "momentum", "dampening", "weight_decay",
                                                    "nesterov", "maximize", "foreach", "differentiable", "fused"])
        #expect(sgd.paramGroups[0]["momentum"] == .int(0))
        #expect(sgd.paramGroups[0]["foreach"] == StateValue.none)
        let adam = try Adam(ps, lr: 0.01)
        #expect(adam.paramGroups[0]["betas"] == .tuple([0.9, 0.999]))
        #expect(adam.paramGroups[0]["weight_decay"] == .int(0))
        #expect(adam.paramGroups[0]["lr"] == .double(0.01))
        let adamw = try AdamW(ps)
        #expect(adamw.paramGroups[0]["weight_decay"] == .double(0.01))
        #expect(adamw.paramGroups[0]["decoupled_weight_decay"] == .bool(true))
        #expect(try RMSprop(ps).paramGroups[0].options.keys.contains("fused") == false)
        // Keys given for a group come first, then param_names, then the defaults.
        let two = try SGD(groups: [ParamGroup(params: [ps[0]], options: ["momentum": 0.5, "lr": 0.1]),
                                   ParamGroup(params: [ps[1]], options: [:])], options: ["lr": 0.01])
        #expect(Array(two.paramGroups[0].options.keys.prefix(4)) == ["momentum", "lr", "param_names", "dampening"])
        #expect(two.paramGroups[1].lr == 0.01)
        #expect(two.paramGroups[1]["momentum"] == .int(0))
    }

    @Test func addParamGroupRules() throws {
        let ps = params([[2], [3], [4]])
        let opt = try SGD([ps[0], ps[1]], lr: 0.1)
        #expect(error { try opt.addParamGroup([ps[1], ps[2]]) }?.message == "some parameters appear in more than one parameter group")
        try opt.addParamGroup([ps[2]], options: ["lr": 0.5])
        #expect(opt.paramGroups.count == 2)
        #expect(opt.paramGroups[1].lr == 0.5)
        #expect(opt.paramGroups[1]["momentum"] == .int(0))
        // A hyperparameter without a default (PyTorch's `required`) must be given.
        let custom = Optimizer(defaults: ["lr": .none, "beta": 0.5], requiredKeys: ["lr"])
        #expect(error { try custom.addParamGroup([ps[0]]) }?.message
            == "parameter group didn't specify a value of required optimization parameter lr")
        try custom.addParamGroup([ps[0]], options: ["lr": 0.1])
        #expect(custom.paramGroups[0]["beta"] == .double(0.5))
    }

    @Test func noneGradientSkipsZeroGradientSteps() throws {
        let ps = params()
        let opt = try SGD(ps, lr: 0.1, momentum: 0.9, weightDecay: 0.1)
        let before = ps.map(\.value.storage)
        ps[0].grad = nil
        ps[1].grad = Tensor(shape: ps[1].shape)
        try opt.step()
        #expect(ps[0].value.storage == before[0])
        #expect(opt.state[ObjectIdentifier(ps[0])] == nil)
        #expect(ps[1].value.storage != before[1])     // weight decay moves it with a zero gradient
        #expect(opt.state[ObjectIdentifier(ps[1])]?["momentum_buffer"] != nil)
        #expect(opt.stateDict()["state"]!.dictValue!.keys == ["1"])

        let adam = try Adam(ps)
        ps[0].grad = nil
        try adam.step()
        #expect(adam.state[ObjectIdentifier(ps[0])] == nil)
        #expect(adam.state[ObjectIdentifier(ps[1])]?["step"] == .tensor(.scalar(1)))

        adam.zeroGrad(setToNone: false)
        #expect(ps[1].grad?.storage.allSatisfy { $0 == 0 } == true)
        #expect(ps[0].grad == nil)
        adam.zeroGrad()
        #expect(ps.allSatisfy { $0.grad == nil })
    }

    @Test func adagradStateIsEager() throws {
        let ps = params()
        let opt = try Adagrad(ps, initialAccumulatorValue: 0.25)
        let state = opt.stateDict()["state"]!.dictValue!
        #expect(state.keys == ["0", "1"])
        #expect(state["0"]!.dictValue!.keys == ["step", "sum"])
        #expect(state["0"]!.dictValue!["sum"]!.tensorValue!.floatArray().allSatisfy { $0 == 0.25 })
    }

    @Test func schedulerKeysStayBeforeParams() throws {
        let opt = try SGD(params(), lr: 0.1)
        opt.paramGroups[0]["initial_lr"] = .double(0.1)
        let g = opt.stateDict()["param_groups"]!.arrayValue![0].dictValue!
        #expect(g.keys.suffix(2) == ["initial_lr", "params"])
        #expect(g.keys.first == "param_names")
        #expect(g["params"] == .list([0, 1]))
        #expect(g["param_names"] == .list(["layer0.weight", "layer1.weight"]))
    }

    /// A step writes the parameter and its state buffers in place: no copy-on-write copies
    /// (a copy would be allocated while the original is alive, so its address would differ).
    @Test(arguments: ["SGD", "Adam", "RMSprop", "Adagrad"])
    func stepsWriteInPlace(type: String) throws {
        let p = params([[1000]])[0]
        let opt: Optimizer = switch type {
        case "SGD": try SGD([p], momentum: 0.9)
        case "Adam": try Adam([p], amsgrad: true)
        case "RMSprop": try RMSprop([p], momentum: 0.9, centered: true)
        default: try Adagrad([p])
        }
        func addresses() -> [Int] {
            var out = [p.value.storage.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }]
            for (_, v) in opt.state[ObjectIdentifier(p)] ?? [:] {
                if let t = v.tensorValue, t.count > 1 {
                    out.append(t.floatArray().withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) })
                }
            }
            return out
        }
        setGrads([p], step: 0)
        try opt.step()
        let before = addresses()
        #expect(before.count > 1)
        for t in 1...3 { setGrads([p], step: t); try opt.step() }
        #expect(addresses() == before)
    }
}
