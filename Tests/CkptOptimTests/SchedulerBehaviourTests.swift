import CkptCore
import Testing
@testable import CkptOptim

/// PyTorch behaviours the golden sequences do not show: constructor effects, warnings,
/// errors, state-dict types and load checks.
@Suite struct SchedulerBehaviourTests {
    func sgd(_ lrs: [Double] = [0.1, 0.05]) -> Optimizer {
        Optimizer(paramGroups: lrs.map { ParamGroup(params: [], options: ["lr": .double($0), "momentum": 0]) })
    }

    @Test func constructorSetsInitialLRWithSetdefault() throws {
        let opt = sgd()
        opt.paramGroups[1]["initial_lr"] = 0.5
        let s = try StepLR(optimizer: opt, stepSize: 2)
        #expect(opt.paramGroups[0]["initial_lr"] == .double(0.1))
        #expect(opt.paramGroups[1]["initial_lr"] == .double(0.5))
        #expect(s.baseLRs == [0.1, 0.5])
        #expect(s.lastEpoch == 0)
        #expect(s.stepCount == 1)
        #expect(s.getLastLR() == [0.1, 0.05])
    }

    @Test func resumingWithoutInitialLRIsPyTorchsKeyError() {
        #expect {
            _ = try ExponentialLR(optimizer: sgd(), gamma: PyNumber(0.9), lastEpoch: 4)
        } throws: { e in
            (e as? SchedulerError)?.message.hasPrefix(
                "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler with last_epoch >= 0.") == true
        }
    }

    @Test func warnsOnceWhenSteppedBeforeOptimizer() throws {
        var seen: [String] = []
        let opt = sgd()
        let s = try ExponentialLR(optimizer: opt, gamma: PyNumber(0.5))
        s.warningHandler = { seen.append($0) }
        #expect(seen.isEmpty)
        try s.step()
        try s.step()
        #expect(seen.count == 1)
        #expect(seen.first?.contains("Detected call of `lr_scheduler.step()` before `optimizer.step()`") == true)
        #expect(seen.first?.contains("skipping the first value of the learning rate schedule") == true)

        seen = []
        let opt2 = sgd()
        let s2 = try ExponentialLR(optimizer: opt2, gamma: PyNumber(0.5))
        s2.warningHandler = { seen.append($0) }
        try opt2.step()
        try s2.step()
        #expect(seen.isEmpty)
    }

    @Test func stateDictTypesAndLoadChecks() throws {
        let opt = sgd()
        let s = try ReduceLROnPlateau(optimizer: opt)
        let sd = s.stateDict()
        #expect(sd.keys.first == "type")
        #expect(sd["type"] == "ReduceLROnPlateau")
        #expect(sd["default_min_lr"] == .int(0))
        #expect(sd["best"] == .double(.infinity))
        #expect(sd["last_epoch"] == .int(0))

        let step = try StepLR(optimizer: opt, stepSize: 3)
        #expect {
            try step.loadStateDict(sd)
        } throws: { e in
            let m = (e as? SchedulerError)?.message ?? ""
            return m.contains("ReduceLROnPlateau") && m.contains("StepLR")
        }
        var bad = step.stateDict()
        bad["last_epoch"] = .double(3)
        #expect(throws: StateDictError(key: "scheduler/last_epoch", message: "expected an int, found 3.0")) {
            try step.loadStateDict(bad)
        }
    }

    @Test func loadingNeverChangesAnLR() throws {
        let a = sgd()
        let s = try ExponentialLR(optimizer: a, gamma: PyNumber(0.5))
        try a.step()
        for _ in 0..<5 { try s.step() }
        let b = sgd([0.3, 0.7])
        let s2 = try ExponentialLR(optimizer: b, gamma: PyNumber(0.5))
        try s2.loadStateDict(s.stateDict())
        #expect(b.paramGroups.map(\.lr) == [0.3, 0.7])
        #expect(s2.lastEpoch == 5)
        #expect(s2.getLastLR() == s.getLastLR())
    }

    @Test func plateauNeedsAMetric() throws {
        let s = try ReduceLROnPlateau(optimizer: sgd())
        #expect(throws: SchedulerError.self) { try s.step() }
        #expect(throws: SchedulerError.self) { try s.step(metrics: nil) }
        try s.step(metrics: 1.0)
        #expect(s.lastEpoch == 1)
    }

    @Test func closureLambdasAreNotSaved() throws {
        let s = try LambdaLR(optimizer: sgd(), lrLambdas: [.closure { 1.0 / Double($0 + 1) }, .expression(try LambdaExpression("0.5 ** epoch"))])
        let sd = s.stateDict()
        #expect(sd["lr_lambdas"] == .list([.none, .none]))
        #expect(sd["lr_lambda_expr"] == .list([.none, "0.5 ** epoch"]))
        #expect(Array(sd.keys.suffix(2)) == ["lr_lambdas", "lr_lambda_expr"])
    }

    @Test func sequentialMilestoneOnCompositeChildIsPyTorchsError() throws {
        let opt = sgd()
        let a = try ConstantLR(optimizer: opt)
        let b = try ChainedScheduler(schedulers: [try ExponentialLR(optimizer: opt, gamma: PyNumber(0.9))])
        let seq = try SequentialLR(optimizer: opt, schedulers: [a, b], milestones: [2])
        try opt.step()
        try seq.step()
        #expect(throws: SchedulerError.self) { try seq.step() }
    }

    @Test func compositeRejectsPlateauAndForeignOptimizer() throws {
        let opt = sgd()
        let p = try ReduceLROnPlateau(optimizer: opt)
        #expect(throws: SchedulerError.self) { try ChainedScheduler(schedulers: [p]) }
        let other = try StepLR(optimizer: sgd(), stepSize: 2)
        #expect(throws: SchedulerError.self) {
            try SequentialLR(optimizer: opt, schedulers: [try StepLR(optimizer: opt, stepSize: 2), other], milestones: [3])
        }
    }
}

/// Issue 15: scheduler arguments that divide by zero are refused when the scheduler is built
/// or its state loaded, never a trap after an epoch of training.
@Suite struct SchedulerZeroArgumentTests {
    func sgd() throws -> Optimizer {
        try makeScheduleOptimizer(config: ["type": "SGD", "lr": 0.1])
    }

    @Test(arguments: [
        (#"{"type": "StepLR", "step_size": 0}"#, "step_size must be a positive integer"),
        (#"{"type": "CosineAnnealingLR", "T_max": 0}"#, "T_max must be a positive integer"),
        (#"{"type": "CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 0, "cycle_momentum": false}"#, "step_size_up must be positive"),
    ])
    func zeroIsRefusedAtConstruction(config: String, message: String) throws {
        let sd = try #require(try JSON.parse(config).dictValue)
        #expect { _ = try makeScheduler(config: sd, optimizer: try sgd()) } throws: { e in
            "\(e)".contains(message)
        }
    }

    @Test func zeroInALoadedStateIsRefused() throws {
        let o = try sgd()
        let s = try StepLR(optimizer: o, stepSize: 2)
        var sd = s.stateDict()
        sd["step_size"] = 0
        #expect(throws: StateDictError(key: "scheduler/step_size", message: "expected a positive int, found 0")) {
            try s.loadStateDict(sd)
        }
    }
}
