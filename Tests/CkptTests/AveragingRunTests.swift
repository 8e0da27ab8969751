import Foundation
import Testing
@testable import Ckpt

/// A run's weight average (`"averaging"`): EMA after every optimizer step, SWA per epoch after
/// `swa_start` with SWALR taking over from the run's scheduler; `/averaged_model` in PyTorch's
/// `AveragedModel.state_dict()` layout; a resume from any checkpoint continues the average
/// (and SWALR) bit for bit.
@Suite struct AveragingRunTests {
    static func config(_ averaging: String, scheduler: String = #"{"type": "ExponentialLR", "gamma": 0.8}"#) -> String {
        """
        {"model": {"type": "mlp", "sizes": [3072, 6, 10]},
         "data": {"dataset": "synthetic", "train_size": 30, "test_size": 12, "batch_size": 8},
         "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9}, "scheduler": \(scheduler),
         "averaging": \(averaging), "epochs": 4, "seed": 5}
        """
    }

    static let cases: [(String, String)] = [
        (#"{"type": "ema", "decay": 0.9}"#, #"{"type": "ExponentialLR", "gamma": 0.8}"#),
        (#"{"type": "ema"}"#, #"{"type": "OneCycleLR", "max_lr": 0.1, "total_steps": 16, "interval": "step"}"#),
        (#"{"type": "swa", "swa_start": 1, "swa_lr": 0.02, "anneal_epochs": 2}"#, #"{"type": "ExponentialLR", "gamma": 0.8}"#),
        (#"{"type": "swa", "swa_start": 0, "swa_lr": 0.01, "anneal_epochs": 1, "anneal_strategy": "linear"}"#,
         #"{"type": "CosineAnnealingLR", "T_max": 8, "interval": "step"}"#),
    ]

    @Test(arguments: cases)
    func resumeFromEveryKindOfCheckpointIsBitIdentical(averaging: String, scheduler: String) throws {
        let config = try RunConfig(json: Self.config(averaging, scheduler: scheduler))
        let reference = try Run(config: config)
        try RunResumeTests.train(reference)
        #expect(reference.progress.globalStep == 16)
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for stop in [2, 4, 8, 9, 12, 15] {
            let first = try Run(config: config)
            try RunResumeTests.train(first, stopAfter: stop)
            let path = dir + "/step-\(stop).h5"
            try first.save(to: path)
            let resumed = try Run.restore(from: path)
            try RunResumeTests.train(resumed)
            let v = RunVerification.compare(resumed.checkpoint(), reference: reference.checkpoint())
            #expect(v.identical, "stop after \(stop): \(v.summary)")
        }
    }

    @Test func emaCountsEveryStepAndSavesTorchsLayout() throws {
        let run = try Run(config: RunConfig(json: Self.config(#"{"type": "ema", "decay": 0.99}"#)))
        try RunResumeTests.train(run)
        let c = run.checkpoint()
        let a = try #require(c.averagedModel)
        #expect(a.keys == ["n_averaged"] + run.model.parameters.map { "module." + $0.name })
        let n = try #require(a["n_averaged"]?.tensorValue)
        #expect(n.shape == [] && n.storage == .int64([16]))
        #expect(c.swaScheduler == nil)
        // The average differs from the raw weights, and evaluation reports both.
        #expect(a["module.net.1.weight"]?.tensorValue != c.model["net.1.weight"]?.tensorValue)
        #expect(try run.evaluateAveraged() != nil)
        // The file holds the same sections.
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try run.save(to: dir + "/e.h5")
        let loaded = try CheckpointFile.load(dir + "/e.h5")
        #expect(loaded.averagedModel.map { $0.bitwiseEqual(a) } == true)
        let weights = try AveragedWeights.modelStateDict(loaded, file: "e.h5")
        #expect(weights.keys == run.model.parameters.map(\.name))
    }

    @Test func swaUpdatesAfterSwaStartAndSwalrTakesOver() throws {
        let run = try Run(config: RunConfig(json: Self.config(#"{"type": "swa", "swa_start": 1, "swa_lr": 0.02, "anneal_epochs": 0}"#)))
        try RunResumeTests.train(run)
        // Epochs 2 and 3 (0-based) end with an update: n_averaged 2.
        #expect(run.averaging?.model.nAveraged == 2)
        let c = run.checkpoint()
        #expect(c.swaScheduler?["type"]?.stringValue == "SWALR")
        #expect(c.optimizer?["param_groups"]?.arrayValue?.first?.dictValue?["swa_lr"] == .double(0.02))
        // anneal_epochs 0: the first SWALR step sets swa_lr.
        #expect(run.optimizer.paramGroups[0].lr == 0.02)
    }

    @Test func configErrorsNameTheKey() throws {
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: Self.config(#"{"type": "ema", "decay": 1.5}"#)) }
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: Self.config(#"{"type": "swa", "swa_lr": 0.1}"#)) }
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: Self.config(#"{"type": "polyak"}"#)) }
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: Self.config(#"{"type": "ema", "swa_lr": 0.1}"#)) }
        do {
            _ = try RunConfig(json: Self.config(#"{"type": "ema", "decay": 1.5}"#))
        } catch {
            #expect("\(error)".contains("averaging.decay"))
        }
        // The filled-in config round-trips.
        let c = try RunConfig(json: Self.config(#"{"type": "swa", "swa_start": 2, "swa_lr": [0.05]}"#))
        #expect(try RunConfig(value: .dict(c.json)) == c)
    }

    @Test func restoreRefusesAMissingOrUnexpectedAverage() throws {
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Run(config: RunConfig(json: Self.config(#"{"type": "ema"}"#)))
        var c = run.checkpoint()
        c.averagedModel = nil
        try CheckpointFile.save(c, to: dir + "/a.h5")
        #expect(throws: RunError.self) { _ = try Run.restore(from: dir + "/a.h5") }
    }
}
