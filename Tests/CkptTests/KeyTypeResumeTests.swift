import CkptCore
import Foundation
import Testing
@testable import Ckpt

/// Runs whose state has PyTorch's int-keyed dicts resume exactly: a MultiStepLR + Adam run
/// that PyTorch started and saved with python/ckpt_torch.save (milestones a Counter, optimizer
/// state keyed by int), and one saved by ckpt before key types were recorded (string keys).
@Suite struct KeyTypeResumeTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `fixtures/make_pytorch_resume_fixture.py`: PyTorch trained 3 epochs, saved, and went on
    /// to 6. Resumed here, the run must use PyTorch's lr at every step bit for bit (MultiStepLR
    /// decays at the repeated milestone 2 and again at 4) and end within float32 rounding of
    /// PyTorch's parameters (PyTorch's MKL sqrt is not correctly rounded, so Adam is not bitwise).
    @Test func aPyTorchMultiStepLRRunContinuesAsPyTorchContinuedIt() throws {
        var file = try CheckpointFile.load(Self.root + "/fixtures/pytorch/adam_multisteplr_epoch3.h5")
        let text = try #require(file.config)
        var config = try #require(try JSON.parse(text).dictValue)
        var data = try #require(config["data"]?.dictValue)
        data["path"] = .string(Self.root + "/fixtures/pytorch/data.h5")    // the config names it from the repository root
        config["data"] = .dict(data)
        file.config = JSON.string(.dict(config))
        let run = try Run.restore(from: file, path: "adam_multisteplr_epoch3.h5")
        #expect(run.progress.epoch == 3 && run.progress.globalStep == 6)
        try RunResumeTests.train(run)

        let ref = try #require(try JSON.parse(String(contentsOfFile: Self.root + "/fixtures/pytorch/adam_multisteplr.json",
                                                     encoding: .utf8)).dictValue)
        let lrs = try #require(ref["lr"]?.arrayValue).map { $0.arrayValue!.map { $0.doubleValue!.bitPattern } }
        #expect(run.progress.lrHistory.map { $0.map(\.bitPattern) } == lrs)
        #expect(run.scheduler?.scheduler.getLastLR() == [0.00125])
        let model = try #require(ref["model"]?.dictValue)
        for (name, value) in run.model.stateDict() {
            let ours = try #require(value.tensorValue).doubleElements
            let theirs = try #require(model[name]?.arrayValue).map { $0.doubleValue! }
            #expect(ours.count == theirs.count)
            let worst = zip(ours, theirs).map { abs($0 - $1) / (1e-6 + 1e-4 * abs($1)) }.max() ?? 0
            #expect(worst <= 1, "\(name): \(worst) of the tolerance")
        }
    }

    /// `fixtures/legacy/mlp_adam_multisteplr_epoch3.h5` was written by ckpt before key types
    /// were recorded; resumed now it continues bit for bit like an uninterrupted run.
    @Test func aFileFromBeforeKeyTypesResumesBitForBit() throws {
        let text = try String(contentsOfFile: Self.root + "/fixtures/legacy/mlp_adam_multisteplr.json", encoding: .utf8)
        let straight = try Run(config: try RunConfig(json: text))
        try RunResumeTests.train(straight)
        let resumed = try Run.restore(from: Self.root + "/fixtures/legacy/mlp_adam_multisteplr_epoch3.h5",
                                         epochs: straight.config.epochs)
        try RunResumeTests.train(resumed)
        let v = RunVerification.compare(resumed.checkpoint(), reference: straight.checkpoint())
        #expect(v.identical, "\(v.summary)")
        #expect(v.lrSteps == 12)
    }
}
