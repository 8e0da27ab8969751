import CkptCore
import Testing
@testable import CkptOptim

@Suite struct SchedulerFactoryTests {
    func sgd(_ lrs: [Double] = [0.1]) -> Optimizer {
        Optimizer(paramGroups: lrs.map { ParamGroup(params: [], options: ["lr": .double($0), "momentum": 0.9]) })
    }

    func message(_ config: String, _ optimizer: Optimizer? = nil) -> String? {
        do {
            guard case .dict(let d) = try JSON.parse(config) else { return "not a dict" }
            _ = try makeScheduler(config: d, optimizer: optimizer ?? sgd())
            return nil
        } catch let e as SchedulerError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    @Test func buildsWithInterval() throws {
        let (s, interval) = try makeScheduler(config: ["type": "ExponentialLR", "gamma": 0.9, "interval": "step"], optimizer: sgd())
        #expect(s is ExponentialLR)
        #expect(interval == .step)
        let (_, i2) = try makeScheduler(config: ["type": "StepLR", "step_size": 3], optimizer: sgd())
        #expect(i2 == .epoch)
    }

    @Test func nullConfigMeansNoScheduler() throws {
        #expect(try makeScheduler(config: StateValue.none, optimizer: sgd()) == nil)
        #expect(try makeScheduler(config: nil as StateValue?, optimizer: sgd()) == nil)
    }

    @Test(arguments: [
        (#"{"type": "StepLR", "step_size": 3, "gama": 0.5}"#, "scheduler.gama"),
        (#"{"type": "StepLR", "step_size": 3.0}"#, "scheduler.step_size"),
        (#"{"type": "StepLR"}"#, "scheduler.step_size"),
        (#"{"type": "StepLR", "step_size": 3, "gamma": "0.5"}"#, "scheduler.gamma"),
        (#"{"type": "StepLR", "step_size": 3, "interval": "batch"}"#, "scheduler.interval"),
        (#"{"type": "StepLRX", "step_size": 3}"#, "scheduler.type"),
        (#"{"step_size": 3}"#, "scheduler.type"),
        (#"{"type": "SequentialLR", "milestones": [5], "schedulers": [{"type": "ConstantLR"}, {"type": "CosineAnnealingLR", "T_max": 10, "eta": 0}]}"#,
         "scheduler.schedulers[1].eta"),
        (#"{"type": "ChainedScheduler", "schedulers": [{"type": "ExponentialLR", "gamma": 0.9, "interval": "step"}]}"#,
         "scheduler.schedulers[0].interval"),
        (#"{"type": "LambdaLR", "lr_lambda": "epoch **"}"#, "scheduler.lr_lambda"),
        (#"{"type": "LambdaLR", "lr_lambda": 0.5}"#, "scheduler.lr_lambda"),
        (#"{"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 10, "pct_start": 0}"#, "scheduler.pct_start"),
        (#"{"type": "CyclicLR", "base_lr": 0.1, "max_lr": 0.2, "mode": "sawtooth"}"#, "scheduler.mode"),
        (#"{"type": "ReduceLROnPlateau", "min_lr": "x"}"#, "scheduler.min_lr"),
        (#"{"type": "MultiStepLR", "milestones": [1, 2.5]}"#, "scheduler.milestones"),
    ])
    func errorsNameTheKey(_ config: String, _ key: String) {
        let m = message(config)
        #expect(m?.hasPrefix(key) == true, "\(m ?? "no error")")
    }

    @Test func unknownKeyLeavesOptimizerUntouched() {
        let opt = sgd()
        _ = message(#"{"type": "CyclicLR", "base_lr": 0.5, "max_lr": 1.0, "bogus": 1}"#, opt)
        #expect(opt.paramGroups[0]["initial_lr"] == nil)
        #expect(opt.paramGroups[0].lr == 0.1)
    }

    @Test func pytorchConstructorErrors() {
        #expect(message(#"{"type": "ConstantLR", "factor": 1.5}"#)?.contains("Constant multiplicative factor expected to be between 0 and 1.") == true)
        #expect(message(#"{"type": "ReduceLROnPlateau", "factor": 1.0}"#)?.contains("Factor should be < 1.0.") == true)
        #expect(message(#"{"type": "OneCycleLR", "max_lr": 0.1}"#)?.contains("You must define either total_steps OR (epochs AND steps_per_epoch)") == true)
        #expect(message(#"{"type": "SequentialLR", "milestones": [], "schedulers": [{"type": "ConstantLR"}, {"type": "ConstantLR"}]}"#)?
            .contains("Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points") == true)
        #expect(message(#"{"type": "CyclicLR", "base_lr": [0.1, 0.2], "max_lr": 1.0}"#)?
            .contains("base_lr must have the same length as optimizer.param_groups") == true)
        let plain = Optimizer(paramGroups: [ParamGroup(params: [], options: ["lr": 0.1])])
        #expect(message(#"{"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 5}"#, plain)?
            .contains("optimizer must support momentum or beta1 with `cycle_momentum` option enabled") == true)
    }
}
