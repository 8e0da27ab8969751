import Ckpt
import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptCLI

/// bfloat16, int16 and int8 tensors through the commands: convert .pt → .h5 → .safetensors →
/// .h5 → .pt → DCP, diff across formats (bfloat16 compared by value), inspect --stats, verify. The tensors
/// are the ones PyTorch saved in fixtures/torch/dtypes.pt.
@Suite struct DTypeCommandTests {
    static let dtypesPt = Repository.path("fixtures/torch/dtypes.pt")

    func scratch() -> String { makeScratchDirectory("ckpt-dtype-cli") }

    /// {"bf16", "i16", "i8"} of dtypes.pt, as a model-only torch.save file (a bare state dict).
    func model(_ dir: String, bf16 bits: [UInt16]? = nil) throws -> (path: String, tensors: StateDict) {
        guard case .dict(let root) = try TorchFile.read(Self.dtypesPt) else { throw CLIError.file(Self.dtypesPt, "not a dict") }
        var model = StateDict()
        for k in ["bf16", "i16", "i8"] { model[k] = root[k] }
        if let bits { model["bf16"] = .tensor(TensorData(shape: [bits.count], storage: .bfloat16(bits))) }
        let path = dir + (bits == nil ? "/m.pt" : "/changed.pt")
        try TorchSave.write(Checkpoint(model: model), to: path, durable: false)
        return (path, model)
    }

    func run(_ args: [String]) throws {
        var command = try CkptCommand.parseAsRoot(args)
        try command.run()
    }

    @Test func convertKeepsEveryBitAcrossFormats() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (pt, tensors) = try model(dir)
        try run(["convert", pt, dir + "/m.h5"])
        try run(["convert", dir + "/m.h5", dir + "/m.safetensors"])
        try run(["convert", dir + "/m.safetensors", dir + "/back.h5"])
        try run(["convert", dir + "/back.h5", dir + "/back.pt"])
        try run(["convert", dir + "/back.pt", dir + "/dcp", "--to", "dcp"])
        for path in ["/m.h5", "/m.safetensors", "/back.h5", "/back.pt", "/dcp"] {
            #expect(try CheckpointFile.load(dir + path).model.bitwiseEqual(tensors), "\(path)")
        }
        for path in [pt, dir + "/m.h5", dir + "/back.pt"] {
            let r = runCommand { try VerifyCommand.parse([path]).execute(console: $0, reader: .hdf5) }
            #expect(r.status == .success, "\(path): \(r.out)\(r.err)")
        }
    }

    @Test func diffComparesBFloat16ByValueAcrossFormats() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (pt, tensors) = try model(dir)
        try run(["convert", pt, dir + "/m.h5"])
        let same = runCommand { try DiffCommand.parse([pt, dir + "/m.h5"]).execute(console: $0, reader: .hdf5) }
        #expect(same.status == .success, "\(same.out)\(same.err)")
        // One bfloat16 ulp at 1.0 (2⁻⁷) in the first element.
        guard case .bfloat16(var bits) = tensors["bf16"]?.tensorValue?.storage else { Issue.record("no bf16"); return }
        bits[0] += 1
        let (changed, _) = try model(dir, bf16: bits)
        let r = runCommand { try DiffCommand.parse([dir + "/m.h5", changed]).execute(console: $0, reader: .hdf5) }
        #expect(r.status == .failure, "\(r.out)\(r.err)")
        #expect(r.out.contains("bf16") && r.out.contains("1 of 7") && r.out.contains("0.0078125"), "\(r.out)")
        let close = runCommand { try DiffCommand.parse([dir + "/m.h5", changed, "--atol", "0.01"]).execute(console: $0, reader: .hdf5) }
        #expect(close.status == .success, "\(close.out)\(close.err)")
    }

    @Test func inspectStatsReadsBFloat16Values() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (pt, _) = try model(dir)
        try run(["convert", pt, dir + "/m.h5"])
        for path in [pt, dir + "/m.h5"] {
            let text = runCommand { try InspectCommand.parse([path, "--stats"]).execute(console: $0, reader: .hdf5) }
            let first = path.hasSuffix(".pt") ? "\(path): checkpoint read from torch.save" : "\(path): ckpt checkpoint, format version 1"
            #expect(text.out.hasPrefix(first + "\n"), "\(text.out)")
            let r = runCommand { try InspectCommand.parse([path, "model/bf16", "--stats", "--json"]).execute(console: $0, reader: .hdf5) }
            #expect(r.status == .success, "\(r.out)\(r.err)")
            let json = try JSON.parse(r.out)
            let stats = json.dictValue?["stats"]?.dictValue ?? json.dictValue ?? [:]
            #expect(r.out.contains("bfloat16"), "\(r.out)")
            #expect(stats["nan"] == 1 && stats["inf"] == 1, "\(r.out)")
            #expect(stats["min"]?.doubleValue == -2.5 && stats["max"]?.doubleValue == 3.00405527047391e+38, "\(r.out)")
        }
    }
}
