import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// DCP directories written by real PyTorch (fixtures/dcp: one process and two gloo
/// processes, a LeNet with SGD and a small model with Adam, sharded DTensors) read without
/// PyTorch, leaf for leaf against what `dcp_to_torch_save` + `torch.load` gave PyTorch.
@Suite struct DCPFixtureTests {
    static let names = ["lenet_sgd", "lenet_sgd_2proc", "small_adam", "small_adam_2proc"]

    @Test(arguments: names) func everyLeafEqualsPyTorchs(_ name: String) throws {
        let reference = try DirectoryFixtures.expected(DirectoryFixtures.dcp)[name]!.dictValue!
        let (value, _) = try DCPDirectory.read(DirectoryFixtures.dcp + "/" + name)
        var leaves: [String: StateValue] = [:]
        DirectoryFixtures.flatten(value, into: &leaves)
        let wrong = DirectoryFixtures.mismatches(leaves, reference["leaves"]!.dictValue!)
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
    }

    /// The chunks and where they lie, as PyTorch's own reader of .metadata lists them.
    @Test(arguments: names) func chunksAndTheirFilesMatchPyTorchsMetadata(_ name: String) throws {
        let reference = try DirectoryFixtures.expected(DirectoryFixtures.dcp)[name]!.dictValue!
        let chunks = try DCPDirectory.read(DirectoryFixtures.dcp + "/" + name).chunks
        let refChunks = reference["chunks"]!.dictValue!, refStorage = reference["storage"]!.dictValue!
        #expect(chunks.count == refChunks.count)
        for (fqn, _, _, sources) in chunks {
            let expected = refChunks[fqn]!.arrayValue!.map { c in
                (c.dictValue!["offsets"]!.arrayValue!.map { Int($0.intValue!) }, c.dictValue!["sizes"]!.arrayValue!.map { Int($0.intValue!) })
            }
            #expect(sources.map(\.offsets) == expected.map(\.0), "\(fqn)")
            #expect(sources.map(\.sizes) == expected.map(\.1), "\(fqn)")
            for s in sources {
                let place = refStorage[fqn]!.arrayValue!.compactMap(\.dictValue).first { ($0["offset"]?.arrayValue ?? []).map { Int($0.intValue!) } == s.offsets }
                #expect(place?["file"]?.stringValue == s.file && place?["bytes"]?.intValue == Int64(s.byteOffset)
                        && place?["length"]?.intValue == Int64(s.length), "\(fqn) at \(s.offsets)")
            }
        }
    }

    /// Two ranks' shards of one tensor: each from its own rank's file.
    @Test func shardedTensorsComeFromBothRanks() throws {
        let chunks = try DCPDirectory.read(DirectoryFixtures.dcp + "/small_adam_2proc").chunks
        let weight = try #require(chunks.first { $0.fqn == "model.0.weight" })
        #expect(weight.sources.map(\.rank) == [0, 1])
        #expect(weight.sources.map(\.file) == ["__0_0.distcp", "__1_0.distcp"])
    }

    /// As a checkpoint: the model in the state dict's order, the optimizer typed, int keys.
    @Test func loadsAsATrainingCheckpoint() throws {
        let c = try CheckpointFile.load(DirectoryFixtures.dcp + "/lenet_sgd_2proc")
        #expect(c.model.keys == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                                 "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        #expect(c.optimizer?["type"] == "SGD")
        #expect(c.optimizer?["state"]?.dictValue?.keyKind == .int)
        #expect(try CheckpointFile.isCheckpoint(DirectoryFixtures.dcp + "/small_adam"))
        let resharded = try CheckpointFile.load(DirectoryFixtures.dcp + "/small_adam_2proc")
        let single = try CheckpointFile.load(DirectoryFixtures.dcp + "/small_adam")
        #expect(resharded.model.bitwiseEqual(single.model))
        #expect(resharded.optimizer.map { StateValue.dict($0) }?.bitwiseEqual(.dict(single.optimizer!)) == true)
    }

    @Test func verifyChecksEveryDirectoryAsItChecksAFile() throws {
        let integrity = try FormatIntegrity.check(DirectoryFixtures.dcp + "/lenet_sgd")
        #expect(!integrity.isNative && integrity.summary.hasPrefix("torch.distributed.checkpoint directory"))
        let (_, warnings, _) = integrity.verifiable(try CheckpointFile.load(DirectoryFixtures.dcp + "/lenet_sgd"))
        #expect(warnings.isEmpty)
    }

    /// ckpt's own DCP writer read back by ckpt's reader: the same checkpoint.
    @Test func writerRoundTrips() throws {
        let dir = NSTemporaryDirectory() + "ckpt-dcp-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let original = try CheckpointFile.load(Repository.path("fixtures/torch/train_adam.pt"))
        try DCPWriter.write(original, to: dir)
        let back = try CheckpointFile.load(dir)
        #expect(back.model.bitwiseEqual(original.model))
        #expect(StateValue.dict(back.optimizer!).bitwiseEqual(.dict(original.optimizer!)))
        #expect(StateValue.dict(back.scheduler!).bitwiseEqual(.dict(original.scheduler!)))
        #expect(back.metadata["epoch"] == original.metadata["epoch"])
    }
}
