import Foundation
import Testing
@testable import Ckpt

/// The trainer stops at the first non-finite parameter or optimizer state tensor, not only at
/// a non-finite loss: with SGD at lr 1e300 the single step of a one-batch epoch leaves every
/// weight infinite while the loss it reported was finite, and before this check that state
/// was saved as `epoch-1.h5`, unmarked, with exit status 0.
@Suite struct NonFiniteStateTests {
    static func config(lr: String, optimizer: String = "SGD", policy: String = "stop") throws -> RunConfig {
        try RunConfig(json: """
            {"model": {"type": "mlp", "sizes": [3072, 8, 10]},
             "data": {"dataset": "synthetic", "train_size": 16, "test_size": 8, "batch_size": 16},
             "optimizer": {"type": "\(optimizer)", "lr": \(lr)}, "epochs": 2, "non_finite": "\(policy)"}
            """)
    }

    @Test func aFiniteRunHasNoNonFiniteTensor() throws {
        let run = try Run(config: try Self.config(lr: "0.01", optimizer: "Adam"))
        for batch in run.remainingBatches() { try run.trainStep(batch) }
        #expect(run.firstNonFiniteTensor() == nil)
    }

    @Test func parametersThenOptimizerStateAreNamed() throws {
        let run = try Run(config: try Self.config(lr: "0.01", optimizer: "Adam"))
        for batch in run.remainingBatches() { try run.trainStep(batch) }
        let params = run.model.parameters
        // Optimizer state first: a parameter is reported before it.
        let id = ObjectIdentifier(params[2])
        guard case .tensor(var t)? = run.optimizer.state[id]?["exp_avg_sq"], case .float32(var v) = t.storage else {
            Issue.record("Adam has no exp_avg_sq for \(params[2].name)")
            return
        }
        v[1] = .infinity
        t.storage = .float32(v)
        run.optimizer.state[id]?["exp_avg_sq"] = .tensor(t)
        #expect(run.firstNonFiniteTensor() == Run.NonFiniteTensor(tensor: "optimizer state exp_avg_sq of \(params[2].name)",
                                                                   count: NonFiniteCount(infinite: 1)))
        params[3].value.storage[0] = .nan
        params[3].value.storage[1] = .nan
        #expect(run.firstNonFiniteTensor() == Run.NonFiniteTensor(tensor: "parameter \(params[3].name)", count: NonFiniteCount(nan: 2)))
    }

    @Test func infiniteWeightsStopTheRunUnderAFiniteLoss() throws {
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Run(config: try Self.config(lr: "1e300"))
        var losses: [Float] = []
        let trainer = Trainer(directory: dir) { if case .step(_, _, let loss, _, _) = $0 { losses.append(loss) } }
        let outcome = try trainer.train(run)
        guard case .nonFinite(let path, let message) = outcome else {
            Issue.record("expected a non-finite stop, got \(outcome)")
            return
        }
        #expect(losses.isEmpty, "the step event follows the check: \(losses)")
        #expect(message.hasPrefix("parameter net.1.weight holds ") && message.contains(" infinite values after the optimizer step at epoch 1, batch 1 (global step 1)"), "\(message)")
        #expect(path == dir + "/step-1.h5")
        let saved = try CheckpointFile.load(path)
        #expect(saved.metadata[Run.nonFiniteKey]?.stringValue == message)
        #expect(!FileManager.default.fileExists(atPath: dir + "/epoch-1.h5"))
    }

    /// An infinite `exp_avg_sq` leaves Adam's update at 0, so the weights stay finite: the
    /// state is checked after the step whose state `epoch-2.h5` would save.
    @Test func nonFiniteOptimizerStateIsCaughtBeforeTheSave() throws {
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Run(config: try Self.config(lr: "0.01", optimizer: "Adam"))
        let trainer = Trainer(directory: dir) { event in
            guard case .step(0, _, _, _, _) = event else { return }
            let p = run.model.parameters[0]
            guard case .tensor(var t)? = run.optimizer.state[ObjectIdentifier(p)]?["exp_avg_sq"],
                  case .float32(var v) = t.storage else { return }
            v[0] = .infinity
            t.storage = .float32(v)
            run.optimizer.state[ObjectIdentifier(p)]?["exp_avg_sq"] = .tensor(t)
        }
        let outcome = try trainer.train(run)
        #expect(outcome == .nonFinite(path: dir + "/step-2.h5",
                                      message: "optimizer state exp_avg_sq of net.1.weight holds 1 infinite value after the optimizer step at epoch 2, batch 1 (global step 2)"))
        #expect(FileManager.default.fileExists(atPath: dir + "/epoch-1.h5"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/epoch-2.h5"))
    }

    @Test func continueMarksLaterCheckpointsAndChecksNoMore() throws {
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Run(config: try Self.config(lr: "1e300", policy: "continue"))
        var warnings: [String] = []
        let trainer = Trainer(directory: dir) { if case .nonFinite(let m) = $0 { warnings.append(m) } }
        #expect(try trainer.train(run) == .completed)
        #expect(warnings.count == 1 && warnings[0].hasPrefix("parameter net.1.weight holds "), "\(warnings)")
        for name in ["epoch-1.h5", "epoch-2.h5"] {
            #expect(try CheckpointFile.load(dir + "/" + name).metadata[Run.nonFiniteKey]?.stringValue == warnings.first)
        }
    }
}
