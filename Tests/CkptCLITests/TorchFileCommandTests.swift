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

    func scratch() -> String { makeScratchDirectory("ckpt-torch-cli") }

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

    @Test func hostileInputExitsWith2() throws {
        #expect(throws: (any Error).self) { _ = try CkptCommand.parseAsRoot(["convert", "a.h5", "b.h5"]) }
        #expect(throws: (any Error).self) { _ = try CkptCommand.parseAsRoot(["convert", "a.h5", "b.pt", "--map", "weights=w"]) }
        #expect(throws: (any Error).self) { _ = try CkptCommand.parseAsRoot(["convert", "a.h5", "b.safetensors", "--map", "model=w"]) }
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect {
            try run(["convert", Self.fixtures + "/hostile/os_system.pt", dir + "/out.h5"])
        } throws: { e in
            (e as? ExitCode) == ExitCode(2)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.h5"))
    }

    /// .pt -> .h5 -> .pt gives what PyTorch saved, and --map renames the keys both ways.
    @Test func writesPtAndMapsKeys() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pt = Self.fixtures + "/train_adam.pt"
        try run(["convert", pt, dir + "/run.h5"])
        try run(["convert", dir + "/run.h5", dir + "/run.pt"])
        let original = try CheckpointFile.load(pt), back = try CheckpointFile.load(dir + "/run.pt")
        #expect(back.model.bitwiseEqual(original.model))
        #expect(back.optimizer?.bitwiseEqual(original.optimizer!) == true)
        #expect(back.scheduler?.bitwiseEqual(original.scheduler!) == true)
        #expect(back.metadata["epoch"] == 3 && back.metadata["best_acc"] == 0.25)

        try run(["convert", dir + "/run.h5", dir + "/odd.pt", "--map", "model=net,optimizer=opt_state,epoch=ep"])
        guard case .dict(let root) = try TorchFile.read(dir + "/odd.pt") else { Issue.record("not a dict"); return }
        #expect(root.keys == ["net", "opt_state", "scheduler", "ep", "best_acc"])
        try run(["convert", dir + "/odd.pt", dir + "/odd.h5", "--map", "model=net,optimizer=opt_state,epoch=ep"])
        let mapped = try CheckpointFile.load(dir + "/odd.h5")
        #expect(mapped.model.bitwiseEqual(original.model) && mapped.optimizer?["type"] == "Adam")
        #expect(mapped.metadata["epoch"] == 3)
        #expect {
            try run(["convert", dir + "/odd.pt", dir + "/bad.h5", "--map", "model=weights"])
        } throws: { e in (e as? ExitCode) == ExitCode(2) }
    }

    @Test func inspectShowsTheSectionsOfATrainingCheckpoint() throws {
        let console = Console.capture()
        let command = try InspectCommand.parse([Self.fixtures + "/train_sgd.pt", "--json"])
        _ = try command.execute(console: console, reader: .hdf5)
        let json = try JSON.parse(console.output)
        #expect(json.dictValue?["optimizer"]?.dictValue?["type"] == "SGD")
        #expect(json.dictValue?["model"]?.dictValue?["tensors"] == 4)
    }

    /// verify on .pt: a sound PyTorch file passes with the zip checked; a flipped byte in an
    /// entry the pickle never reads (`version`) is found by its CRC-32.
    @Test func verifyChecksTheZipAndTheSections() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = runCommand { try VerifyCommand.parse([Self.fixtures + "/train_adam.pt"]).execute(console: $0, reader: .hdf5) }
        #expect(good.status == .success, "\(good.out)\(good.err)")
        #expect(good.out.contains("torch.save zip, 22 entries CRC-32 checked"), "\(good.out)")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/written/train_adam.pt")))
        let version = Array("archive/version".utf8)
        // The local header's name, then the "FB" padding, then the entry's bytes "3\n".
        guard let at = (0..<(bytes.count - version.count)).first(where: { Array(bytes[$0..<($0 + version.count)]) == version }),
              let data = (at..<bytes.count).first(where: { bytes[$0] == 0x33 && bytes[$0 + 1] == 0x0A }) else {
            Issue.record("no version entry"); return
        }
        bytes[data] = 0x34
        let bad = dir + "/bad.pt"
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        let r = runCommand { try VerifyCommand.parse([bad]).execute(console: $0, reader: .hdf5) }
        #expect(r.status == .failure)
        #expect(r.out.contains("archive/version") && r.out.contains("CRC-32 mismatch"), "\(r.out)")
    }
}
