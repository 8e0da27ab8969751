import CkptCore
import Testing
@testable import CkptOptim

private func lenet() -> [Parameter] {
    ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
     "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"].map { Parameter(name: $0, value: Tensor(shape: [2])) }
}

private func config(_ json: String) throws -> StateDict { try JSON.parse(json).dictValue! }

private func configError(_ json: String, _ ps: [Parameter] = lenet()) -> String? {
    do { _ = try makeOptimizer(config: try config(json), parameters: ps) } catch let e as OptimizerError { return e.message } catch { return "\(error)" }
    return nil
}

/// The run config's `optimizer` object: type, hyperparameters, name-glob param groups.
@Suite struct OptimizerConfigTests {
    /// Expected results are Python's `fnmatch.fnmatchcase`.
    @Test(arguments: [
        ("conv*", "conv1.weight", true), ("conv*", "fc1.weight", false), ("fc1.*", "fc1.bias", true),
        ("fc?.weight", "fc2.weight", true), ("fc?.weight", "fc10.weight", false), ("*.bias", "conv2.bias", true),
        ("fc[12].*", "fc3.bias", false), ("fc[!12].*", "fc3.bias", true), ("fc[1-2].*", "fc2.bias", true),
        ("*", "", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("[", "[", true), ("fc1.weight", "fc1.weight", true),
        ("*weight", "conv1.weight", true), ("Conv*", "conv1.weight", false), ("[]]", "]", true),
    ])
    func globMatchesLikeFnmatch(pattern: String, name: String, expected: Bool) {
        #expect(Glob(pattern).matches(name) == expected, "\(pattern) ~ \(name)")
    }

    @Test func oneGroupWithoutParamGroups() throws {
        let ps = lenet()
        let opt = try makeOptimizer(config: try config(#"{"type": "SGD", "lr": 0.01, "momentum": 0.9, "param_groups": null}"#), parameters: ps)
        #expect(opt is SGD)
        #expect(opt.paramGroups.count == 1)
        #expect(opt.paramGroups[0].params.count == 10)
        #expect(opt.paramGroups[0]["momentum"] == .double(0.9))
        #expect(opt.paramGroups[0]["dampening"] == .int(0))
        #expect(opt.paramGroups[0].options.keys.first == "param_names")
    }

    @Test func groupsByGlobWithPerGroupHyperparameters() throws {
        let ps = lenet()
        let opt = try makeOptimizer(config: try config(#"""
            {"type": "Adam", "lr": 0.001, "betas": [0.8, 0.99],
             "param_groups": [{"params": ["conv*"], "lr": 0.01}, {"params": ["fc*"]}]}
            """#), parameters: ps)
        #expect(opt is Adam)
        #expect(opt.paramGroups.map { $0.params.map(\.name) } == [
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"],
            ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]])
        #expect(opt.paramGroups[0].lr == 0.01 && opt.paramGroups[1].lr == 0.001)
        #expect(opt.paramGroups[0].options.keys.prefix(2) == ["lr", "param_names"])
        #expect(opt.paramGroups[1]["betas"] == .tuple([0.8, 0.99]))
    }

    @Test func globErrorsListTheNames() {
        #expect(configError(#"{"type": "SGD", "param_groups": [{"params": ["conv*"]}, {"params": ["fc1.*", "fc2.*"]}]}"#)
            == "optimizer.param_groups: parameters matching no group: fc3.weight, fc3.bias")
        #expect(configError(#"{"type": "SGD", "param_groups": [{"params": ["*.weight"]}, {"params": ["conv*", "fc*"]}]}"#)?
            .hasPrefix("optimizer.param_groups: parameters matching more than one group: conv1.weight (groups 0, 1); conv2.weight (groups 0, 1);") == true)
        #expect(configError(#"{"type": "SGD", "param_groups": [{"params": ["*"]}, {"params": ["bn*"]}]}"#)
            == #"optimizer.param_groups: optimizer.param_groups[1].params ["bn*"] match no parameter"#)
        #expect(configError(#"{"type": "SGD", "param_groups": [{"lr": 0.1}]}"#)?
            .hasPrefix("optimizer.param_groups[0].params: missing") == true)
    }

    @Test func keyAndTypeErrorsNameTheKey() {
        #expect(configError(#"{"type": "SGD", "momentun": 0.9}"#) == "optimizer.momentun: unknown key for SGD (did you mean momentum?)")
        #expect(configError(#"{"type": "Adam", "momentum": 0.9}"#)?.hasPrefix("optimizer.momentum: unknown key for Adam") == true)
        #expect(configError(#"{"type": "SGD", "lr": "fast"}"#) == "optimizer.lr: expected a number for SGD, found string")
        #expect(configError(#"{"type": "Adam", "betas": [0.9]}"#) == "optimizer.betas: expected a list of 2 numbers for Adam, found list")
        #expect(configError(#"{"type": "SGD", "nesterov": 1}"#) == "optimizer.nesterov: expected a bool for SGD, found int")
        #expect(configError(#"{"type": "SGD", "param_groups": [{"params": ["*"], "lrr": 0.1}]}"#)
            == "optimizer.param_groups[0].lrr: unknown key for SGD (did you mean lr?)")
        #expect(configError(#"{"type": "Adamw"}"#)?.hasPrefix("optimizer.type: unknown optimizer 'Adamw' (did you mean AdamW?)") == true)
        #expect(configError(#"{"lr": 0.1}"#)?.hasPrefix("optimizer.type: missing") == true)
        #expect(configError(#"{"type": "SGD", "lr": -0.1}"#) == "optimizer.lr: Invalid learning rate: -0.1")
        #expect(configError(#"{"type": "SGD", "param_groups": [{"params": ["*"], "nesterov": true}]}"#)
            == "optimizer.param_groups[0].nesterov: Nesterov momentum requires a momentum and zero dampening")
    }

    @Test func scheduleVariantMakesOneDummyParameterPerGroup() throws {
        let opt = try makeScheduleOptimizer(config: try config(#"""
            {"type": "SGD", "lr": 0.1, "momentum": 0.9, "param_groups": [{"lr": 0.5}, {}, {"params": ["fc*"], "momentum": 0.8}]}
            """#))
        #expect(opt.paramGroups.count == 3)
        #expect(opt.paramGroups.map(\.lr) == [0.5, 0.1, 0.1])
        #expect(opt.paramGroups.allSatisfy { $0.params.count == 1 && $0.params[0].value.count == 1 })
        #expect(opt.paramGroups[2]["momentum"] == .double(0.8))
        let one = try makeScheduleOptimizer(config: try config(#"{"type": "AdamW"}"#))
        #expect(one.paramGroups.count == 1 && one is AdamW)
    }
}
