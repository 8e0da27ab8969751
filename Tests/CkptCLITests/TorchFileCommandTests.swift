import ArgumentParser
import Ckpt
import CkptTestSupport
import Foundation
import Testing
@testable import CkptCLI

/// The commands on torch.save files (fixtures/torch, written by PyTorch): convert to a
/// checkpoint and to safetensors, the refusals, and inspect's JSON of a training checkpoint.
@Suite struct TorchFileCommandTests {
    static let fixtures = Repository.path("fixtures/torch")

    func scratch() -> String {
        let dir = NSTemporaryDirectory() + "ckpt-torch-cli-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func run(_ args: [String]) throws {
        var command = try CkptCommand.parseAsRoot(args)
        try command.run()
    }

    @Test func convertsATrainingCheckpointAndItsModel() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pt = Self.fixtures + "/train_adam.pt"
        try run(["convert", pt, dir + "/run.h5"])
        let c = try CheckpointFile.load(dir + "/run.h5")
        let original = try CheckpointFile.load(pt)
        #expect(c.model.bitwiseEqual(original.model))
        #expect(c.optimizer?["type"] == "Adam" && c.scheduler?["type"] == "MultiStepLR")
        #expect(c.metadata["epoch"] == 3)
        try run(["convert", pt, dir + "/model.safetensors"])
        #expect(try Safetensors.read(dir + "/model.safetensors").tensors.bitwiseEqual(original.model))
    }

    @Test func writingPtIsRefusedAndHostileInputExitsWith2() throws {
        #expect(throws: (any Error).self) { _ = try CkptCommand.parseAsRoot(["convert", "a.h5", "b.pt"]) }
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect {
            try run(["convert", Self.fixtures + "/hostile/os_system.pt", dir + "/out.h5"])
        } throws: { e in
            (e as? ExitCode) == ExitCode(2)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.h5"))
    }

    @Test func inspectShowsTheSectionsOfATrainingCheckpoint() throws {
        let console = Console.capture()
        let command = try InspectCommand.parse([Self.fixtures + "/train_sgd.pt", "--json"])
        _ = try command.execute(console: console, reader: .hdf5)
        let json = try JSON.parse(console.output)
        #expect(json.dictValue?["optimizer"]?.dictValue?["type"] == "SGD")
        #expect(json.dictValue?["model"]?.dictValue?["tensors"] == 4)
    }
}
