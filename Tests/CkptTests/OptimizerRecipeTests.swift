import Foundation
import Testing
@testable import Ckpt

/// The two recipes of issue 18 through `Trainer` (what `ckpt train` runs): Muon for LeNet's
/// hidden matrices with AdamW for the rest (`"optimizers"`), and the fine-tuning recipe from
/// `--init-from` weights (`"freeze"`, then `"unfreeze"` with `add_param_group`). A run resumed
/// from every checkpoint either writes ends bit for bit where the uninterrupted run ends.
@Suite struct OptimizerRecipeTests {
    static let data = #""data": {"dataset": "synthetic", "train_size": 24, "test_size": 8, "batch_size": 8}"#

    /// PyTorch's Muon docs: Muon for the hidden weight matrices (2-D; LeNet's conv weights are
    /// 4-D, which Muon refuses), AdamW for the input layers, the output layer and the biases.
    static let muonConfig = """
        {"model": {"type": "lenet"}, \(data),
         "optimizers": [
           {"params": ["fc1.weight", "fc2.weight"], "type": "Muon", "lr": 0.02,
            "scheduler": {"type": "CosineAnnealingLR", "T_max": 4}},
           {"params": ["*"], "type": "AdamW", "lr": 0.002,
            "scheduler": {"type": "LinearLR", "start_factor": 0.5, "total_iters": 5, "interval": "step"}}],
         "epochs": 3, "seed": 3, "checkpoint": {"every_epochs": 1, "every_steps": 2}}
        """

    static let freezeConfig = """
        {"model": {"type": "lenet"}, \(data),
         "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9},
         "scheduler": {"type": "ExponentialLR", "gamma": 0.8},
         "freeze": ["conv*"], "unfreeze": [{"at_epoch": 2, "params": ["conv*"], "lr": 0.001}],
         "epochs": 4, "seed": 4, "checkpoint": {"every_epochs": 1, "every_steps": 2}}
        """

    /// Trains `run` into `dir` through `Trainer`; returns the final state.
    static func trainAll(_ run: Run, into dir: String, resumed: Bool = false) throws -> Checkpoint {
        let outcome = try Trainer(directory: dir).train(run, resumed: resumed)
        #expect(outcome == .completed)
        return run.checkpoint()
    }

    /// Every checkpoint of `dir` resumed (in a directory of its own) ends where `reference` does.
    static func expectEveryResumeIdentical(_ dir: String, reference: Checkpoint) throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".h5") }.sorted()
        for name in files {
            let other = RunResumeTests.tempDir()
            defer { try? FileManager.default.removeItem(atPath: other) }
            let resumed = try Run.restore(from: dir + "/" + name)
            let end = try trainAll(resumed, into: other, resumed: true)
            let v = RunVerification.compare(end, reference: reference)
            #expect(v.identical, "resumed from \(name): \(v.summary)")
            #expect(CheckpointVerifier.problems(in: try CheckpointFile.load(dir + "/" + name)).isEmpty, "\(name)")
        }
        return files
    }

    @Test func muonAndAdamWResumeBitForBitFromEveryCheckpoint() throws {
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Run(config: RunConfig(json: Self.muonConfig))
        #expect(run.optimizers.map(\.typeName) == ["Muon", "AdamW"])
        #expect(run.optimizers[0].paramGroups[0].params.map(\.name) == ["fc1.weight", "fc2.weight"])
        #expect(run.optimizers[1].paramGroups[0].params.map(\.name)
                == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.bias", "fc2.bias", "fc3.weight", "fc3.bias"])
        let reference = try Self.trainAll(run, into: dir)
        // Layout: the first optimizer where a one-optimizer run has it, the second in /optimizers/1.
        #expect(reference.optimizer?["type"]?.stringValue == "Muon")
        #expect(reference.scheduler?["type"]?.stringValue == "CosineAnnealingLR")
        let second = try #require(reference.extraOptimizers.first)
        #expect(reference.extraOptimizers.map(\.key) == ["1"])
        #expect(second.optimizer?["type"]?.stringValue == "AdamW")
        #expect(second.scheduler?["type"]?.stringValue == "LinearLR")
        #expect(reference.progress?["lr"]?.tensorValue?.shape == [9, 2])
        // The saved file holds the same sections.
        let loaded = try CheckpointFile.load(dir + "/epoch-3.h5")
        let saved = try #require(loaded.optimizers), kept = try #require(reference.optimizers)
        #expect(saved.bitwiseEqual(kept))
        let files = try Self.expectEveryResumeIdentical(dir, reference: reference)
        #expect(files == ["epoch-1.h5", "epoch-2.h5", "epoch-3.h5", "step-2.h5", "step-4.h5", "step-8.h5"])
        // The config round-trips with the list.
        let c = try RunConfig(json: Self.muonConfig)
        #expect(try RunConfig(value: .dict(c.json)) == c)
    }

    @Test func freezeThenUnfreezeResumesBitForBitAcrossTheChange() throws {
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // --init-from: weights of another run (a different seed stands in for pretraining).
        let pretrained = try Run(config: RunConfig(json: Self.freezeConfig.replacingOccurrences(of: "\"seed\": 4", with: "\"seed\": 9")))
        try pretrained.save(to: dir + "/pretrained/p.h5")
        let run = try Run(config: RunConfig(json: Self.freezeConfig))
        try run.loadModelWeights(from: dir + "/pretrained/p.h5")
        let conv = run.model.parameters.first { $0.name == "conv1.weight" }!.value
        #expect(run.frozen.map(\.name) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"])
        #expect(run.optimizer.paramGroups.count == 1)
        let reference = try Self.trainAll(run, into: dir + "/run")
        let before = try CheckpointFile.load(dir + "/run/epoch-1.h5")
        let after = try CheckpointFile.load(dir + "/run/epoch-2.h5")
        // Frozen: the pretrained weights unchanged, and the optimizer holds one group.
        #expect(before.model["conv1.weight"]?.tensorValue == TensorData(conv))
        #expect(before.optimizer?["param_groups"]?.arrayValue?.count == 1)
        // Unfrozen at the start of epoch 2: PyTorch's add_param_group (given keys, param_names,
        // then the optimizer's defaults; no initial_lr, which only the scheduler's constructor sets).
        let groups = try #require(after.optimizer?["param_groups"]?.arrayValue)
        #expect(groups.count == 2)
        let added = try #require(groups[1].dictValue)
        #expect(added.keys == ["lr", "param_names", "momentum", "dampening", "weight_decay", "nesterov",
                               "maximize", "foreach", "differentiable", "fused", "params"])
        #expect(added["lr"] == .double(0.001) && added["momentum"] == .double(0.9))
        #expect(after.model["conv1.weight"]?.tensorValue == TensorData(conv))   // no step yet
        #expect(reference.model["conv1.weight"]?.tensorValue != TensorData(conv))
        // The lr history: 0 for the added group before it existed.
        let lr = try #require(reference.progress?["lr"]?.tensorValue)
        #expect(lr.shape == [12, 2] && lr.doubleElements[1] == 0 && lr.doubleElements[2 * 6 + 1] == 0.001)
        // Diff across the change explains the added group.
        let diff = CheckpointDiff(before, after)
        #expect(diff.values.contains { $0.path == "optimizer/param_groups/1" && $0.a == nil && $0.b != nil }
                || diff.values.contains { $0.path.hasPrefix("optimizer/param_groups/1") })
        let files = try Self.expectEveryResumeIdentical(dir + "/run", reference: reference)
        #expect(files.count == 8)
        let c = try RunConfig(json: Self.freezeConfig)
        #expect(try RunConfig(value: .dict(c.json)) == c)
    }

    @Test func configErrorsNameTheEntry() throws {
        func message(_ text: String) -> String {
            do { _ = try Run(config: RunConfig(json: text)); return "" } catch { return "\(error)" }
        }
        let base = #"{"model": {"type": "lenet"}, \#(Self.data), "#
        // Muon takes 2-D parameters only: PyTorch's message, naming the parameter.
        #expect(message(base + #""optimizers": [{"params": ["*"], "type": "Muon"}]}"#).contains("Muon only supports 2D parameters"))
        #expect(message(base + #""optimizers": [{"params": ["fc1.weight"], "type": "Muon"}]}"#).contains("matching no entry"))
        #expect(message(base + #""optimizers": [{"params": ["fc*"], "type": "AdamW", "lr": -1}, {"params": ["*"]}]}"#).contains("optimizers[0]"))
        #expect(message(base + #""optimizers": [{"params": ["zz*"], "type": "AdamW"}, {"params": ["*"]}]}"#).contains("optimizers[0].params"))
        #expect(message(base + #""optimizer": {"type": "SGD"}, "optimizers": [{"params": ["*"]}]}"#).contains("not used with"))
        #expect(message(base + #""freeze": ["conv*"], "unfreeze": [{"at_epoch": 1, "params": ["fc*"]}]}"#).contains("unfreeze[0].params"))
        #expect(message(base + #""freeze": ["conv*"], "unfreeze": [{"at_epoch": 0, "params": ["conv*"]}]}"#).contains("unfreeze[0].at_epoch"))
    }

    /// After `add_param_group`, every scheduler either steps the new group or throws a
    /// `SchedulerError` naming the group count; none traps.
    @Test(arguments: [
        #"{"type": "ExponentialLR", "gamma": 0.5}"#, #"{"type": "StepLR", "step_size": 1}"#,
        #"{"type": "MultiStepLR", "milestones": [1, 2]}"#, #"{"type": "ConstantLR"}"#, #"{"type": "LinearLR"}"#,
        #"{"type": "PolynomialLR", "total_iters": 3}"#, #"{"type": "CosineAnnealingLR", "T_max": 3}"#,
        #"{"type": "CosineAnnealingWarmRestarts", "T_0": 2}"#, #"{"type": "CyclicLR", "base_lr": 0.01, "max_lr": 0.1}"#,
        #"{"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 10}"#, #"{"type": "ReduceLROnPlateau", "patience": 0}"#,
        #"{"type": "LambdaLR", "lr_lambda": "0.9 ** epoch"}"#, #"{"type": "MultiplicativeLR", "lr_lambda": "0.9"}"#,
        #"{"type": "SequentialLR", "schedulers": [{"type": "ConstantLR"}, {"type": "ExponentialLR", "gamma": 0.9}], "milestones": [1]}"#,
        #"{"type": "ChainedScheduler", "schedulers": [{"type": "ConstantLR"}, {"type": "ExponentialLR", "gamma": 0.9}]}"#,
        #"{"type": "SWALR", "swa_lr": 0.05}"#,
    ])
    func schedulersAfterAnAddedGroupStepOrThrow(_ scheduler: String) throws {
        let a = Parameter(name: "a", value: Tensor(shape: [2])), b = Parameter(name: "b", value: Tensor(shape: [2]))
        let o = try makeOptimizer(config: ["type": "SGD", "lr": 0.1, "momentum": 0.9], parameters: [a])
        let (s, _) = try makeScheduler(config: try #require(JSON.parse(scheduler).dictValue), optimizer: o)
        try o.addParamGroup([b], configOptions: ["lr": .double(0.01)], path: "unfreeze[0]")
        do {
            for _ in 0..<3 {
                try o.step()
                try s.step(metrics: 1.0)
            }
            #expect(s.getLastLR().count == 2)
        } catch {
            #expect("\(error)".contains("param groups") || "\(error)".contains("group"), "\(error)")
        }
    }
}
