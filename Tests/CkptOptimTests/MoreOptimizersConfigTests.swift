import CkptCore
import Testing
@testable import CkptOptim

private func params() -> [Parameter] {
    [Parameter(name: "fc.weight", value: Tensor(shape: [2, 3])), Parameter(name: "fc.bias", value: Tensor(shape: [2]))]
}

private func build(_ json: String) throws -> Optimizer {
    try makeOptimizer(config: try JSON.parse(json).dictValue!, parameters: params())
}

private func configError(_ json: String) -> String? {
    do { _ = try build(json) } catch let e as OptimizerError { return e.message } catch { return "\(error)" }
    return nil
}

/// The optimizers added after the first five, through the one run-config reader: tuples from
/// JSON lists, PyTorch's checks naming the key, and SparseAdam's refusal to step.
@Suite struct MoreOptimizersConfigTests {
    @Test(arguments: ["Adamax", "NAdam", "RAdam", "Adadelta", "ASGD", "Rprop", "Adafactor", "SparseAdam", "LBFGS"])
    func buildsByNameWithPyTorchDefaults(type: String) throws {
        let opt = try build(#"{"type": "\#(type)"}"#)
        #expect(opt.typeName == type)
        let group = opt.paramGroups[0].options
        #expect(Array(group.keys.dropFirst()) == optimizerTypes[type]!.defaultOptions.keys.map { $0 })
    }

    /// Muon's `adjust_lr_fn` is None or a name; a bias in its groups fails naming the bias.
    @Test func muonTakesMatricesAndAnAdjustmentName() throws {
        let w = [Parameter(name: "fc.weight", value: Tensor(shape: [2, 3]))]
        let config = try JSON.parse(#"{"type": "Muon", "adjust_lr_fn": "match_rms_adamw"}"#).dictValue!
        let muon = try makeOptimizer(config: config, parameters: w)
        #expect(muon.paramGroups[0]["adjust_lr_fn"] == .string("match_rms_adamw"))
        #expect(configError(#"{"type": "Muon"}"#)
            == "Muon only supports 2D parameters whereas we found a parameter with size: torch.Size([2]) ('fc.bias')")
        #expect(configError(#"{"type": "Muon", "adjust_lr_fn": "cosine"}"#)
            == "optimizer.adjust_lr_fn: Adjust learning rate function cosine is not supported")
        #expect(configError(#"{"type": "SGD", "adjust_lr_fn": "original"}"#)?.hasPrefix("optimizer.adjust_lr_fn: unknown key for SGD") == true)
    }

    @Test func tuplesComeFromJSONLists() throws {
        let rprop = try build(#"{"type": "Rprop", "etas": [0.4, 1.3], "step_sizes": [1e-5, 10]}"#)
        #expect(rprop.paramGroups[0]["etas"] == .tuple([0.4, 1.3]))
        #expect(rprop.paramGroups[0]["step_sizes"] == .tuple([1e-5, .int(10)]))
        let adafactor = try build(#"{"type": "Adafactor", "eps": [null, 0.01]}"#)
        #expect(adafactor.paramGroups[0]["eps"] == .tuple([.none, 0.01]))
        #expect(configError(#"{"type": "Adafactor", "eps": [0.1, null]}"#) == "optimizer.eps: expected a list of 2 numbers for Adafactor, found list")
        #expect(configError(#"{"type": "Rprop", "etas": [null, 1.2]}"#) == "optimizer.etas: expected a list of 2 numbers for Rprop, found list")
    }

    @Test func pyTorchChecksNameTheKey() {
        #expect(configError(#"{"type": "Rprop", "etas": [1.5, 1.2]}"#) == "optimizer.etas: Invalid eta values: 1.5, 1.2")
        #expect(configError(#"{"type": "NAdam", "momentum_decay": -1}"#) == "optimizer.momentum_decay: Invalid momentum_decay value: -1")
        #expect(configError(#"{"type": "Adadelta", "param_groups": [{"params": ["*"], "rho": 2.0}]}"#)
            == "optimizer.param_groups[0].rho: Invalid rho value: 2.0")
        #expect(configError(#"{"type": "Adafactor", "d": 0.5}"#) == "optimizer.d: Clipping threshold d should be >= 1 but is: 0.5")
        #expect(configError(#"{"type": "RAdam", "momentum": 0.9}"#)?.hasPrefix("optimizer.momentum: unknown key for RAdam") == true)
    }

    /// PyTorch's SparseAdam refuses dense gradients; ckpt has no others.
    @Test func sparseAdamRefusesToStep() throws {
        let ps = params()
        let opt = try SparseAdam(ps)
        try opt.step()                       // no gradients: nothing to do, as in PyTorch
        ps[0].grad = Tensor(shape: [2, 3])
        #expect(throws: OptimizerError(.invalidValue, "SparseAdam does not support dense gradients, please consider Adam instead")) {
            try opt.step()
        }
        #expect(opt.state.isEmpty)
    }

    /// PyTorch's SparseAdam state dict (its `step` a Python int) loads and saves unchanged.
    @Test func sparseAdamStateDictRoundTrips() throws {
        let file = try OptimFixture.load("SparseAdam")
        for c in file.cases {
            let (_, opt) = try OptimFixture.build(file, c)
            let torch = c["state_dict"]!.dictValue!
            #expect(torch["state"]!.dictValue!["0"]!.dictValue!["step"] == .int(20))
            try opt.loadStateDict(torch)
            var ours = opt.stateDict()
            _ = ours.removeValue(forKey: "type")
            OptimizerGoldenTests().compare(ours: .dict(ours), torch: .dict(torch), path: "SparseAdam/\(c["name"]!.stringValue!)")
        }
    }
}
