import CkptCore
import CkptFormat
import CkptTestSupport
import Foundation
import Testing
@testable import CkptCLI

/// The reading and converting commands on checkpoint directories written by real PyTorch and
/// transformers (fixtures/dcp, fixtures/hf), through the same paths as files: no command has
/// a directory branch of its own.
@Suite struct DirectoryCommandTests {
    static let dcp = Repository.path("fixtures/dcp")
    static let hf = Repository.path("fixtures/hf")

    func execute<C: ParsableCommandWithExecute>(_ type: C.Type, _ args: [String]) throws -> (status: CommandStatus, out: String, err: String) {
        let command = try C.parse(args)
        return runCommand { try command.execute(console: $0, reader: .hdf5) }
    }

    @Test func inspectShowsATrainingCheckpointAndJSON() throws {
        let r = try execute(InspectCommand.self, [Self.dcp + "/small_adam_2proc"])
        #expect(r.status == .success)
        #expect(r.out.contains("created_by  torch.distributed.checkpoint") && r.out.contains("optimizer: Adam, 1 param group"), "\(r.out)")
        let j = try execute(InspectCommand.self, [Self.hf + "/checkpoint-sharded", "model", "--json"])
        #expect(j.status == .success)
        let json = try JSON.parse(j.out).dictValue
        #expect(json != nil, "\(j.out.prefix(200))")
    }

    @Test func inspectTreeNamesEachChunksFileAndRank() throws {
        let r = try execute(InspectCommand.self, [Self.dcp + "/small_adam_2proc", "model.0.weight", "--tree"])
        #expect(r.status == .success)
        #expect(r.out.contains("chunk0") && r.out.contains("chunk1") && r.out.contains("__1_0.distcp") && r.out.contains("rank  1"), "\(r.out)")
    }

    @Test func diffAcrossFormatsAndShardings() throws {
        // One process against two (DTensor shards): the same state.
        let same = try execute(DiffCommand.self, [Self.dcp + "/small_adam", Self.dcp + "/small_adam_2proc"])
        #expect(same.status == .success, "\(same.out)")
        // The DCP directory against the .pt it converts to, and an HF directory against itself sharded.
        let dir = NSTemporaryDirectory() + "ckpt-dir-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var convert = try CkptCommand.parseAsRoot(["convert", Self.dcp + "/lenet_sgd", dir + "/lenet.pt"])
        try convert.run()
        let cross = try execute(DiffCommand.self, [Self.dcp + "/lenet_sgd", dir + "/lenet.pt"])
        #expect(cross.status == .success, "\(cross.out)")
        convert = try CkptCommand.parseAsRoot(["convert", Self.hf + "/checkpoint-sharded", dir + "/hf.h5"])
        try convert.run()
        let h5 = try execute(DiffCommand.self, [Self.hf + "/checkpoint-4", dir + "/hf.h5", "--exclude", "metadata"])
        #expect(h5.status == .success, "\(h5.out)")
        // Against the .safetensors of its weights: the same model (a .safetensors holds no optimizer).
        convert = try CkptCommand.parseAsRoot(["convert", Self.dcp + "/lenet_sgd", dir + "/lenet.safetensors"])
        try convert.run()
        let st = try execute(DiffCommand.self, [Self.dcp + "/lenet_sgd", dir + "/lenet.safetensors", "--exclude", "optimizer", "--exclude", "metadata"])
        #expect(st.status == .success, "\(st.out)")
        // Different runs differ, with exit status 1.
        let differ = try execute(DiffCommand.self, [Self.dcp + "/lenet_sgd", Self.dcp + "/small_adam"])
        #expect(differ.status == .failure)
    }

    @Test func verifyEveryDirectory() throws {
        let dirs = ["lenet_sgd", "lenet_sgd_2proc", "small_adam", "small_adam_2proc"].map { Self.dcp + "/" + $0 }
            + [Self.hf + "/checkpoint-4", Self.hf + "/checkpoint-sharded"]
        let r = try execute(VerifyCommand.self, dirs + ["--json"])
        #expect(r.status == .success, "\(r.out)")
        let files = try JSON.parse(r.out).dictValue?["files"]?.arrayValue ?? []
        #expect(files.count == 6 && files.allSatisfy { $0.dictValue?["ok"] == .bool(true) })
    }

    @Test func plotDrawsTheTrainersLrCurve() throws {
        let out = NSTemporaryDirectory() + "ckpt-hf-plot-" + UUID().uuidString + ".svg"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try execute(PlotCommand.self, [Self.hf + "/checkpoint-4", "--out", out])
        #expect(r.status == .success, "\(r.err)")
        #expect(r.out.contains("over 4 steps"))
    }

    @Test func convertToDCPAndBack() throws {
        let dir = NSTemporaryDirectory() + "ckpt-dir-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = try CkptCommand.parseAsRoot(["convert", Repository.path("fixtures/torch/train_sgd.pt"), dir + "/run.h5"])
        try c.run()
        c = try CkptCommand.parseAsRoot(["convert", dir + "/run.h5", dir + "/dcp", "--to", "dcp"])
        try c.run()
        // ckpt's format stamps (metadata/format, format_version) exist on the .h5 side only.
        let r = try execute(DiffCommand.self, [dir + "/run.h5", dir + "/dcp", "--exclude", "metadata"])
        #expect(r.status == .success, "\(r.out)")
        #expect(throws: (any Error).self) { _ = try CkptCommand.parseAsRoot(["convert", dir + "/run.h5", dir + "/x", "--to", "zarr"]) }
    }
}
