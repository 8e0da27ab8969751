import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// Hugging Face Trainer checkpoints written by a real `transformers.Trainer` run
/// (fixtures/hf), against the values safetensors and torch.load gave PyTorch.
@Suite struct TrainerDirectoryTests {
    @Test(arguments: ["checkpoint-4", "checkpoint-sharded"]) func matchesPyTorch(_ name: String) throws {
        let reference = try DirectoryFixtures.expected(DirectoryFixtures.hf)[name]!.dictValue!
        let c = try CheckpointFile.load(DirectoryFixtures.hf + "/" + name)
        // Weights: every tensor, one file or assembled from the shards through the index.
        var model: [String: StateValue] = [:]
        for (k, v) in c.model { model[k] = v }
        let refModel = StateDict(reference["model"]!.dictValue!.map { ($0.key, StateValue.dict(["tensor": $0.value])) })
        #expect(DirectoryFixtures.mismatches(model, refModel).isEmpty)
        // Optimizer and scheduler: every leaf (ckpt's `type` key aside).
        for (section, value) in [("optimizer", c.optimizer), ("scheduler", c.scheduler)] {
            var d = try #require(value)
            _ = d.removeValue(forKey: "type")
            var leaves: [String: StateValue] = [:]
            DirectoryFixtures.flatten(.dict(d), into: &leaves)
            let wrong = DirectoryFixtures.mismatches(leaves, reference[section]!.dictValue!)
            #expect(wrong.isEmpty, "\(section): \(wrong.prefix(4))")
        }
        // trainer_state.json: step, epoch, and the lr curve `ckpt plot` draws.
        let state = reference["trainer_state"]!.dictValue!
        #expect(c.metadata["global_step"] == state["global_step"])
        let progress = try RunProgress(stateDict: try #require(c.progress))
        #expect(progress.globalStep == 4)
        #expect(progress.lrHistory.map { $0[0] } == state["lr"]!.arrayValue!.map { $0.doubleValue! })
        // Files needing code are listed, never a failure.
        let notRead = c.metadata["not_read"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(notRead.contains { $0.hasPrefix("training_args.bin: a pickled transformers.TrainingArguments") })
        #expect(notRead.contains { $0.hasPrefix("rng_state.pth:") && $0.contains("numpy") })
    }

    @Test func shardedAndSingleFileAreTheSameRun() throws {
        let a = try CheckpointFile.load(DirectoryFixtures.hf + "/checkpoint-4")
        let b = try CheckpointFile.load(DirectoryFixtures.hf + "/checkpoint-sharded")
        #expect(CheckpointDiff(a, b).isIdentical)
    }
}
