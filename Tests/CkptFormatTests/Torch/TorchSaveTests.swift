import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// `TorchSave` (ckpt's torch.save writer): what it writes must read back as what PyTorch
/// loaded from the original files (`fixtures/torch/expected.json`, made by torch.load), the
/// zip must have PyTorch's layout, and where PyTorch is installed, `torch.load(weights_only=True)`
/// must accept the file and give the types a PyTorch user saved.
@Suite struct TorchSaveTests {
    static let directory = Repository.path("fixtures/torch")

    static func temporary(_ name: String) throws -> (dir: URL, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-torchsave-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir, dir.appendingPathComponent(name).path)
    }

    /// Every PyTorch-written fixture, read, written again and read back, still matches every
    /// row of what torch.load returned for the original.
    @Test(arguments: TorchFileTests.readable)
    func rewrittenFilesMatchWhatPyTorchLoaded(_ name: String) throws {
        let rows = try #require(try TorchFileTests.expected()[name]?.arrayValue)
        let (dir, out) = try Self.temporary("again.pt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let value = try TorchFile.read(Self.directory + "/" + name)
        try TorchSave.write(value, orderedDictAt: { $0.isEmpty }, to: out, durable: false)
        let back = try TorchFile.read(out)
        let problems = rows.compactMap(\.dictValue).flatMap { TorchFileTests.check($0, in: back, file: name) }
        #expect(problems.isEmpty, "\(problems.prefix(10))")
    }

    /// A ckpt checkpoint becomes {"model", "optimizer", "scheduler", "epoch"} with PyTorch's
    /// types, and converting the .pt back gives the same sections.
    @Test func aCheckpointBecomesWhatAPyTorchUserSaves() throws {
        let c = try CheckpointFile.load(Self.directory + "/train_adam.pt")
        var ckpt = c
        ckpt.metadata = ["format": "ckpt", "created_by": "ckpt", "config": "{}"]
        ckpt.progress = ["epoch": 3, "global_step": 9]
        let (dir, out) = try Self.temporary("run.pt")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TorchSave.write(ckpt, to: out, durable: false)
        guard case .dict(let root) = try TorchFile.read(out) else { Issue.record("not a dict"); return }
        #expect(root.keys == ["model", "optimizer", "scheduler", "epoch"])
        #expect(root["epoch"] == 3)
        let optimizer = try #require(root["optimizer"]?.dictValue)
        #expect(optimizer.keys == ["state", "param_groups"])
        #expect(optimizer["state"]?.dictValue?.keyKind == .int)
        #expect(optimizer["state"]?.dictValue?["0"]?.dictValue?["step"]?.tensorValue?.shape == [])
        #expect(optimizer["param_groups"]?.arrayValue?.first?.dictValue?["betas"] == .tuple([0.9, 0.99]))
        let scheduler = try #require(root["scheduler"]?.dictValue)
        #expect(scheduler["type"] == nil)
        #expect(scheduler["milestones"]?.dictValue?.pythonClass == .counter)
        let back = try CheckpointFile.load(out)
        let diff = CheckpointDiff(c, back, options: DiffOptions(exclude: ["metadata/best_acc", "metadata/epoch"]))
        #expect(diff.isIdentical, "\(diff.differenceCount) differences")
    }

    /// The zip as PyTorch lays it out: the entries in torch.save's order, every entry's data
    /// 64-byte aligned, CRCs that the reader checks; and the same input gives the same bytes
    /// as the committed fixture (`fixtures/torch/written/train_adam.pt`, which
    /// `fixtures/check_written_pt.py` showed torch.load accepting).
    @Test func theZipHasPyTorchsLayoutAndIsStable() throws {
        let c = try CheckpointFile.load(Self.directory + "/train_adam.pt")
        let (dir, out) = try Self.temporary("run.pt")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TorchSave.write(c, to: out, durable: false)
        let zip = try ZipArchive(ByteSource(path: out))
        let names = zip.entries.map(\.name)
        #expect(Array(names.prefix(4)) == ["archive/data.pkl", "archive/.format_version", "archive/.storage_alignment", "archive/byteorder"])
        #expect(names.last == "archive/version")
        for e in zip.entries {
            #expect(e.dataOffset % 64 == 0, "\(e.name) at \(e.dataOffset)")
            _ = try zip.read(e)
        }
        let written = try Data(contentsOf: URL(fileURLWithPath: out))
        let committed = try Data(contentsOf: URL(fileURLWithPath: Self.directory + "/written/train_adam.pt"))
        #expect(written == committed, "the writer's output changed: regenerate fixtures/torch/written with fixtures/check_written_pt.py --write")
    }

    @Test func aModelOnlyCheckpointIsTheBareStateDict() throws {
        let model: StateDict = ["w": .tensor(TensorData(shape: [2, 0], storage: .float32([]))),
                                "flag": .tensor(TensorData(shape: [3], storage: .bool([true, false, true]))),
                                "n": .tensor(TensorData(shape: [], storage: .int64([-1 << 40])))]
        let (dir, out) = try Self.temporary("w.pt")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TorchSave.write(Checkpoint(model: model), to: out, durable: false)
        let back = try TorchFile.read(out)
        #expect(back == .dict(model))
    }

    @Test func picklesIntsAsCPythonDoes() {
        func pkl(_ v: StateValue) -> [UInt8] { Array(PickleWriter.pickle(v, orderedAt: { _ in false }).bytes.dropFirst(2).dropLast()) }
        #expect(pkl(255) == [0x4B, 0xFF])
        #expect(pkl(256) == [0x4D, 0x00, 0x01])
        #expect(pkl(-1) == [0x4A, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(pkl(.int(1 << 31)) == [0x8A, 5, 0, 0, 0, 0x80, 0])
        #expect(pkl(.int(Int64.min)) == [0x8A, 8, 0, 0, 0, 0, 0, 0, 0, 0x80])
        #expect(PickleWriter.strides([2, 0, 3]) == [3, 3, 1])
    }

    /// The python with torch: /opt/torchenv's, or python3 on PATH.
    static let torchPython: String? = ["/opt/torchenv/bin/python3", Tools.python3].compactMap { $0 }.first { py in
        FileManager.default.isExecutableFile(atPath: py) && (try? Subprocess.run(py, ["-c", "import torch"]))?.status == 0
    }

    @Test(.enabled(if: torchPython != nil, "PyTorch is not installed"))
    func torchLoadAcceptsItWithPyTorchsTypes() throws {
        let c = try CheckpointFile.load(Self.directory + "/train_adam.pt")
        let (dir, out) = try Self.temporary("run.pt")
        defer { try? FileManager.default.removeItem(at: dir) }
        try TorchSave.write(c, to: out, durable: false)
        let r = try Subprocess.run(Self.torchPython!, [Repository.path("fixtures/check_written_pt.py"), out, Self.directory + "/train_adam.pt"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }
}
