import CkptTestSupport
import Foundation
import Testing

/// `ckpt train` runs issue 18's two recipes (Muon + AdamW; freeze, then unfreeze from
/// `--init-from` weights), and `ckpt resume --verify` continues each bit for bit from every
/// checkpoint; `inspect`, `verify`, `diff` and `convert` read the second optimizer.
@Suite(.serialized) struct OptimizerRecipeCLITests {
    static let data = #""data": {"dataset": "synthetic", "train_size": 24, "test_size": 8, "batch_size": 8}"#
    static let muon = """
        {"model": {"type": "lenet"}, \(data),
         "optimizers": [
           {"params": ["fc1.weight", "fc2.weight"], "type": "Muon", "lr": 0.02,
            "scheduler": {"type": "CosineAnnealingLR", "T_max": 4}},
           {"params": ["*"], "type": "AdamW", "lr": 0.002,
            "scheduler": {"type": "LinearLR", "start_factor": 0.5, "total_iters": 5, "interval": "step"}}],
         "epochs": 3, "seed": 3, "checkpoint": {"every_epochs": 1, "every_steps": 4}}
        """
    static let finetune = """
        {"model": {"type": "lenet"}, \(data),
         "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}, "scheduler": {"type": "ExponentialLR", "gamma": 0.8},
         "freeze": ["conv*"], "unfreeze": [{"at_epoch": 2, "params": ["conv*"], "lr": 0.001}],
         "epochs": 3, "seed": 4, "checkpoint": {"every_epochs": 1, "every_steps": 4}}
        """

    /// Trains `config` into `a`, then resumes every checkpoint with `--verify a/epoch-3.h5`.
    func trainAndResumeEverywhere(_ config: String, extra: [String] = [], in dir: String) throws -> [String] {
        try config.write(toFile: dir + "/cfg.json", atomically: true, encoding: .utf8)
        let r = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"] + extra, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: dir + "/a").filter { $0.hasSuffix(".h5") }.sorted()
        for name in written where name != "epoch-3.h5" {
            let resume = try Binary.ckpt(["resume", "a/" + name, "--out", "b-" + name, "--verify", "a/epoch-3.h5"], in: dir)
            #expect(resume.status == 0, "\(name): \(resume.stdout) \(resume.stderr)")
            #expect(resume.stdout.contains("bit-identical"), "\(name): \(resume.stdout)")
        }
        let verify = try Binary.ckpt(["verify"] + written.map { "a/" + $0 }, in: dir)
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        return written
    }

    @Test func muonAndAdamW() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try trainAndResumeEverywhere(Self.muon, in: dir)
        #expect(files == ["epoch-1.h5", "epoch-2.h5", "epoch-3.h5", "step-4.h5", "step-8.h5"])
        let inspect = try Binary.ckpt(["inspect", "a/epoch-3.h5"], in: dir)
        #expect(inspect.stdout.contains("optimizer: Muon, 1 param group, 2 parameters"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("optimizers/1/optimizer: AdamW, 1 param group, 8 parameters"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("optimizers/1/scheduler: LinearLR"), "\(inspect.stdout)")
        let diff = try Binary.ckpt(["diff", "a/epoch-2.h5", "a/epoch-3.h5"], in: dir)
        #expect(diff.stdout.contains("1/optimizer/state/0/exp_avg"), "\(diff.stdout)")
        let convert = try Binary.ckpt(["convert", "a/epoch-3.h5", "out.pt"], in: dir)
        #expect(convert.status == 0, "\(convert.stderr)")
    }

    @Test func freezeThenUnfreezeFromInitFrom() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The "pretrained" weights: one epoch of the seed's SGD on the same data.
        let pre = #"{"model": {"type": "lenet"}, \#(Self.data), "epochs": 1, "seed": 9}"#
        try pre.write(toFile: dir + "/pre.json", atomically: true, encoding: .utf8)
        #expect(try Binary.ckpt(["train", "--config", "pre.json", "--out", "p"], in: dir).status == 0)
        let files = try trainAndResumeEverywhere(Self.finetune, extra: ["--init-from", "p/epoch-1.h5"], in: dir)
        #expect(files == ["epoch-1.h5", "epoch-2.h5", "epoch-3.h5", "step-4.h5", "step-8.h5"])
        let before = try Binary.ckpt(["inspect", "a/epoch-1.h5", "optimizer"], in: dir)
        #expect(before.stdout.contains("optimizer: SGD, 1 param group, 6 parameters"), "\(before.stdout)")
        let after = try Binary.ckpt(["inspect", "a/epoch-2.h5", "optimizer"], in: dir)
        #expect(after.stdout.contains("optimizer: SGD, 2 param groups, 10 parameters"), "\(after.stdout)")
        // Diff across the change names the added group instead of failing.
        let diff = try Binary.ckpt(["diff", "a/epoch-1.h5", "a/epoch-2.h5"], in: dir)
        #expect(diff.status == 1, "\(diff.stderr)")
        #expect(diff.stdout.contains("optimizer/param_groups/1 differs:\n      A: None\n      B: {lr: 0.001, param_names: [\"conv1.weight\""), "\(diff.stdout)")
        // The frozen layers kept the pretrained weights until the unfreeze.
        let same = try Binary.ckpt(["diff", "p/epoch-1.h5", "a/epoch-2.h5"] + ["optimizer", "scheduler", "progress", "rng", "metadata"].flatMap { ["--exclude", $0] }, in: dir)
        #expect(same.stdout.contains("model: 10 tensors, 6 differ") && !same.stdout.contains("conv"), "\(same.stdout)")
    }
}
