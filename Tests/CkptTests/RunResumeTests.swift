import Foundation
import Testing
@testable import Ckpt

/// Save/restore of a whole run, in process: a run restored from any epoch or step checkpoint
/// continues bit for bit like the uninterrupted run.
@Suite struct RunResumeTests {
    static let configText = """
        {"model": {"type": "mlp", "sizes": [3072, 8, 10]},
         "data": {"dataset": "synthetic", "train_size": 40, "test_size": 16, "batch_size": 8},
         "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9},
         "scheduler": {"type": "ExponentialLR", "gamma": 0.5}, "epochs": 3}
        """

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "ckpt-run-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Trains `run` to its configured end, optionally stopping after `stopAfter` steps.
    static func train(_ run: Run, stopAfter: Int? = nil) throws {
        while run.progress.epoch < run.config.epochs {
            for batch in run.remainingBatches() {
                if let stopAfter, run.progress.globalStep == stopAfter { return }
                try run.trainStep(batch)
            }
            try run.endEpoch(metric: try run.evaluate()?.loss)
        }
    }

    @Test func sameConfigSameBits() throws {
        let config = try RunConfig(json: Self.configText)
        let a = try Run(config: config), b = try Run(config: config)
        try Self.train(a)
        try Self.train(b)
        #expect(RunVerification.compare(a.checkpoint(), reference: b.checkpoint()).identical)
        #expect(a.progress.globalStep == 15 && a.progress.epoch == 3 && a.progress.batch == 0)
    }

    @Test(arguments: [0, 3, 5, 7, 10, 14])
    func resumeFromAnyStepIsBitIdentical(stopAfter: Int) throws {
        let config = try RunConfig(json: Self.configText)
        let reference = try Run(config: config)
        try Self.train(reference)

        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Run(config: config)
        try Self.train(first, stopAfter: stopAfter)
        let path = dir + "/step-\(stopAfter).h5"
        try first.save(to: path)

        let resumed = try Run.restore(from: path)
        #expect(resumed.progress == first.progress)
        #expect(resumed.progress.batch == stopAfter % 5)
        try Self.train(resumed)
        let v = RunVerification.compare(resumed.checkpoint(), reference: reference.checkpoint())
        #expect(v.identical, "\(v.summary)")
        #expect(v.lrSteps == 15 && v.modelTensors == 4)
    }

    @Test func checkpointHoldsEverySection() throws {
        let run = try Run(config: try RunConfig(json: Self.configText))
        try Self.train(run, stopAfter: 7)
        let c = run.checkpoint()
        #expect(c.model.keys == run.model.parameters.map(\.name))
        #expect(c.optimizer?["type"] == "SGD")
        #expect(c.scheduler?["type"] == "ExponentialLR")
        #expect(c.progress?["epoch"] == 1 && c.progress?["global_step"] == 7 && c.progress?["batch"] == 2)
        #expect(c.progress?["lr"]?.tensorValue?.shape == [7, 1])
        #expect(c.progress?["loss"]?.tensorValue?.shape == [7])
        #expect(c.rng?["seed"] == 0)
        let saved = try RunConfig(json: try #require(c.config))
        #expect(saved == run.config)
        #expect(saved.data.dataset == .synthetic)
        // The lr history holds the lr each step used: 0.05 for epoch 1, 0.025 for epoch 2.
        guard case .float64(let lr)? = c.progress?["lr"]?.tensorValue?.storage else { Issue.record("lr dtype"); return }
        #expect(lr == [0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025])
    }

    @Test func restoreChecksShapesAndNamesBothSides() throws {
        let run = try Run(config: try RunConfig(json: Self.configText))
        var c = run.checkpoint()
        c.model["net.1.weight"] = .tensor(TensorData(shape: [8, 3], storage: .float32(Array(repeating: 0, count: 24))))
        #expect {
            try Run.restore(from: c, path: "x.h5")
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("x.h5: /model: ") && text.contains("net.1.weight") && text.contains("[8, 3]") && text.contains("[8, 3072]")
        }
        var noConfig = run.checkpoint()
        noConfig.config = nil
        #expect {
            try Run.restore(from: noConfig, path: "w.h5")
        } throws: { error in
            String(describing: error).hasPrefix("w.h5: no run config")
        }
        // Optimizer state that names other parameters (PyTorch would pair it by position).
        var renamed = run.checkpoint()
        var groups = try #require(renamed.optimizer?["param_groups"]?.arrayValue)
        var group = try #require(groups[0].dictValue)
        group["param_names"] = .list(["net.3.weight", "net.3.bias", "net.1.weight", "net.1.bias"])
        groups[0] = .dict(group)
        renamed.optimizer?["param_groups"] = .list(groups)
        #expect {
            try Run.restore(from: renamed, path: "o.h5")
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("o.h5: /optimizer: ") && text.contains("net.3.weight") && text.contains("net.1.weight")
        }
        var noScheduler = run.checkpoint()
        noScheduler.scheduler = nil
        #expect {
            try Run.restore(from: noScheduler, path: "s.h5")
        } throws: { error in
            String(describing: error).contains("/scheduler: missing")
        }
    }

    @Test func verificationNamesTheFirstDivergingStep() throws {
        let a = try Run(config: try RunConfig(json: Self.configText))
        let b = try Run(config: try RunConfig(json: Self.configText.replacingOccurrences(of: "\"gamma\": 0.5", with: "\"gamma\": 0.25")))
        try Self.train(a)
        try Self.train(b)
        let v = RunVerification.compare(b.checkpoint(), reference: a.checkpoint())
        #expect(!v.identical)
        #expect(v.lrDivergence == .init(step: 5, group: 0, value: 0.0125, reference: 0.025))
        #expect(v.summary == "lr differs at step 5, group 0: 0.0125 here, 0.025 in the reference")

        var c = a.checkpoint()
        guard case .tensor(var t)? = c.model["net.3.bias"], case .float32(var x) = t.storage else { Issue.record("net.3.bias"); return }
        x[3] = x[3].nextUp
        t.storage = .float32(x)
        c.model["net.3.bias"] = .tensor(t)
        let w = RunVerification.compare(c, reference: a.checkpoint())
        #expect(w.divergence?.hasPrefix("model/net.3.bias: 1 of 10 elements differ (first at flat index 3") == true)
    }

    @Test func newestValidSkipsTemporariesAndBrokenFiles() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try CheckpointDirectory.newestValid(in: dir) == nil)
        #expect(try CheckpointDirectory.newestValid(in: dir + "/absent") == nil)
        let run = try Run(config: try RunConfig(json: Self.configText))
        run.progress.epoch = 1
        try run.save(to: dir + "/epoch-1.h5")
        run.progress.epoch = 2
        try run.save(to: dir + "/epoch-2.h5")
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir + "/epoch-3.h5"))
        // A complete file under the atomic save's temporary name is still not a checkpoint.
        try FileManager.default.copyItem(atPath: dir + "/epoch-2.h5", toPath: dir + "/.epoch-4.h5.partial-1-abc")
        try Data("partial".utf8).write(to: URL(fileURLWithPath: dir + "/epoch-5.h5.tmp-123"))
        #expect(try CheckpointDirectory.newestValid(in: dir) == dir + "/epoch-2.h5")
        #expect(try CheckpointDirectory.candidates(in: dir) == ["epoch-1.h5", "epoch-2.h5", "epoch-3.h5"].map { dir + "/" + $0 })
    }

    /// Issue 15: the choice is by recorded progress, not by modification time or by name.
    @Test func newestValidPicksByProgressNotTimeOrName() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Run(config: try RunConfig(json: Self.configText))
        run.progress.epoch = 10
        try run.save(to: dir + "/epoch-10.h5")
        run.progress.epoch = 9
        try run.save(to: dir + "/step-75.h5")  // sorts after epoch-10.h5 by name
        run.progress.epoch = 1
        try run.save(to: dir + "/epoch-1.h5")  // newest by modification time
        let now = Date()
        for name in ["epoch-10.h5", "step-75.h5"] {
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-60)], ofItemAtPath: dir + "/" + name)
        }
        #expect(try CheckpointDirectory.newestValid(in: dir) == dir + "/epoch-10.h5")
    }
}
