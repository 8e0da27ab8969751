import CkptTestSupport
import Testing
import Foundation
import CkptCore
import CkptFormat
import HDF5
@testable import CkptCLI

/// The commands on real HDF5 files: checkpoints saved by `CheckpointFile`, and h5py-written
/// fixtures (`fixtures/make_h5py_fixtures.py`), through the real reader.
@Suite struct RealFileTests {
    static let fixtures = Repository.path("fixtures/h5py")
    let dir = NSTemporaryDirectory() + "ckpt-cli-real-\(UUID().uuidString)"

    init() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func save(_ name: String, _ c: Checkpoint) throws -> String {
        let p = dir + "/" + name
        try CheckpointFile.save(c, to: p, durable: false)
        return p
    }

    func run<C: ParsableCommandWithExecute>(_ type: C.Type, _ args: [String]) throws -> (status: CommandStatus, out: String, err: String) {
        let command = try C.parse(args)
        return runCommand { try command.execute(console: $0, reader: .hdf5) }
    }

    @Test func savedCheckpointRoundTripsThroughEveryCommand() throws {
        let a = try save("a.h5", SampleCheckpoints.checkpoint())
        let b = try save("b.h5", SampleCheckpoints.checkpoint())
        let c = try save("c.h5", SampleCheckpoints.setting(SampleCheckpoints.checkpoint(), model: "fc1.bias", index: 2, to: -3))

        let inspect = try run(InspectCommand.self, [a, "--json"])
        #expect(inspect.status == .success)
        let root = try #require(try JSON.parse(inspect.out).dictValue)
        #expect(root["format"] == "ckpt" && root["model"]?.dictValue?["tensors"] == 3)

        let raw = try run(InspectCommand.self, [a, "model/fc1.bias", "--tree"])
        #expect(raw.out.hasPrefix("/model/fc1.bias  Dataset {3}  float32"))
        #expect(raw.out.contains("    Attribute: checksum  \"xxh64:"))

        #expect(try run(DiffCommand.self, [a, b]).status == .success)
        let d = try run(DiffCommand.self, [a, c])
        #expect(d.status == .failure)
        #expect(d.out.contains("  fc1.bias: float32 [3]: 1 of 3 elements differ, max abs 4.5, max rel 1.5; first at [2]: 1.5 vs -3.0\n"))

        let v = try run(VerifyCommand.self, [a, b, c])
        #expect(v.status == .success)
        #expect(v.out.split(separator: "\n").count == 3)

        let svg = dir + "/plot.svg"
        let p = try run(PlotCommand.self, [a, "--out", svg])
        #expect(p.status == .success)
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<?xml"))
        #expect(text.contains("learning rate: a.h5") && text.contains("training loss: a.h5"))
        #expect(text.components(separatedBy: "<svg ").count == 4)  // the document and two charts
    }

    @Test func torchCheckpointWrittenByH5pyIsSound() throws {
        let file = Self.fixtures + "/checkpoint_torch.h5"
        let v = try run(VerifyCommand.self, [file])
        #expect(v.status == .success, "\(v.out)")
        let i = try run(InspectCommand.self, [file, "optimizer/param_groups/0", "--json"])
        let group = try #require(try JSON.parse(i.out).dictValue?["value"]?.dictValue)
        #expect(group["betas"] == StateValue.list([0.9, 0.999]))  // a tuple reads back; JSON has no tuples
        #expect(group["params"] == StateValue.list([0, 1, 2, 3]))
    }

    @Test func foreignHDF5FileShowsAGenericTree() throws {
        let file = Self.fixtures + "/types.h5"
        let r = try run(InspectCommand.self, [file])
        #expect(r.status == .success)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("/data/f32 ") && $0.contains("Dataset {2, 2}  float32") })
        #expect(lines.contains("    Attribute: text  \"héllo\""))
        #expect(lines.contains { $0.hasPrefix("/soft ") && $0.hasSuffix("soft link -> /data/f32") })
        let j = try run(InspectCommand.self, [file, "attrs", "--json"])
        let attrs = try #require(try JSON.parse(j.out).dictValue?["root"]?.dictValue?["attributes"]?.dictValue)
        #expect(attrs["ints"] == StateValue.list([1, 2, 2, 3]) && attrs["none"] == StateValue.none)
        #expect(try run(DiffCommand.self, [file, file]).status == .badInput)
    }

    @Test func float16AttributesShowTheirValues() throws {
        let path = dir + "/half.h5"
        let file = try HDF5File.create(path)
        // 1.5 = 0x3E00, -2.0 = 0xC000 (IEEE binary16, little-endian).
        try file.root().writeAttribute("half", .numbers(HDF5Array(type: .float16, shape: [2], bytes: [0x00, 0x3E, 0x00, 0xC0])))
        try file.close()
        let r = try run(InspectCommand.self, [path])
        #expect(r.out.contains("    Attribute: half  [1.5, -2.0]\n"))
    }

    @Test func corruptFilesFailVerificationAndAreBadInputElsewhere() throws {
        let a = try save("a.h5", SampleCheckpoints.checkpoint())
        var bytes = try Data(contentsOf: URL(fileURLWithPath: a))
        let random = dir + "/random.h5"
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }).write(to: URL(fileURLWithPath: random))
        let truncated = dir + "/truncated.h5"
        bytes.removeLast(bytes.count / 2)
        try bytes.write(to: URL(fileURLWithPath: truncated))
        let v = try run(VerifyCommand.self, [random, truncated])
        #expect(v.status == .failure)
        #expect(v.out.contains("\(random): 1 problem\n  \(random): /: not a readable HDF5 file (file signature not found)"))
        #expect(try run(InspectCommand.self, [truncated]).status == .badInput)
        #expect(try run(DiffCommand.self, [a, random]).status == .badInput)
        #expect(try run(PlotCommand.self, [random]).status == .badInput)
    }
}

/// The four reading commands, for the generic helper above.
protocol ParsableCommandWithExecute {
    static func parse(_ arguments: [String]?) throws -> Self
    func execute(console: Console, reader: FileReader) throws -> CommandStatus
}

extension InspectCommand: ParsableCommandWithExecute {}
extension DiffCommand: ParsableCommandWithExecute {}
extension VerifyCommand: ParsableCommandWithExecute {}
extension PlotCommand: ParsableCommandWithExecute {}
