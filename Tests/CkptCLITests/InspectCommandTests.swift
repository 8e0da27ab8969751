import CkptTestSupport
import Testing
import CkptCore
import CkptFormat
@testable import CkptCLI

@Suite struct InspectCommandTests {
    var files = MemoryFiles()
    let file: String

    init() {
        file = files.add("run.h5", SampleCheckpoints.checkpoint())
    }

    func inspect(_ args: [String]) throws -> (status: CommandStatus, out: String, err: String) {
        let command = try InspectCommand.parse(args)
        return runCommand { try command.execute(console: $0, reader: files.reader) }
    }

    @Test func fullTextShowsEverySection() throws {
        let r = try inspect([file])
        #expect(r.status == .success)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines[0] == "\(file): ckpt checkpoint, format version 1")
        #expect(lines.contains("  created_at  2026-11-24T20:00:00Z"))
        #expect(lines.contains("model: 3 tensors, 15 elements, 60 B"))
        #expect(lines.contains("  fc1"))
        #expect(lines.contains("    weight  float32  [3, 2]     6"))
        #expect(lines.contains("optimizer: SGD, 2 param groups, 3 parameters, state for 3"))
        #expect(lines.contains("  lr            0.01                        0.001"))
        #expect(lines.contains("scheduler: StepLR, last_epoch 2, last lr [0.01, 0.001]"))
        #expect(lines.contains("progress: epoch 2, global step 4"))
        // The history charts are one table: label, first value (right-aligned), chart, last value.
        #expect(lines.contains { $0.hasPrefix("  lr[0]   0.1  ") && $0.hasSuffix("  0.01   (4 steps)") })
        #expect(lines.contains { $0.hasPrefix("  lr[1]  0.01  ") && $0.hasSuffix("  0.001  (4 steps)") })
        #expect(lines.contains { $0.hasPrefix("  loss    2.5  █") && $0.hasSuffix("  2.125  (4 steps)") })
    }

    /// A long metadata string (a 1 MiB note, a config that is not JSON) is one clipped line in
    /// text, saying how long it is; `--json` keeps it whole. Before, `inspect` printed all of a
    /// 16 MiB attribute and peaked at 274 MB (scripts/reliability/hostile_files.py's RSS limit).
    @Test func longMetadataIsClippedInTextOnly() throws {
        var checkpoint = SampleCheckpoints.checkpoint()
        let note = String(repeating: "x", count: 1 << 20)
        checkpoint.metadata["note"] = .string(note)
        checkpoint.metadata["config"] = .string(String(repeating: "{", count: 1000))
        var files = MemoryFiles()
        let path = files.add("long.h5", checkpoint)
        func inspect(_ args: [String]) throws -> (status: CommandStatus, out: String, err: String) {
            let command = try InspectCommand.parse(args)
            return runCommand { try command.execute(console: $0, reader: files.reader) }
        }
        let r = try inspect([path])
        #expect(r.status == .success)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.contains("  note        " + String(repeating: "x", count: 200) + "… (1048576 characters; --json shows all)"))
        #expect(lines.contains { $0.hasPrefix("config: \"{{{") && $0.hasSuffix("… (1002 characters; --json shows all)") })
        #expect(r.out.utf8.count < 10_000)
        let json = try #require(try JSON.parse(try inspect([path, "--json"]).out).dictValue)
        #expect(json["note"] == StateValue.string(note))
    }

    @Test func jsonParsesBackWithTheSameFacts() throws {
        let r = try inspect([file, "--json"])
        #expect(r.status == .success)
        let root = try #require(try JSON.parse(r.out).dictValue)
        #expect(root["kind"] == "checkpoint")
        #expect(root["format_version"] == 1)
        #expect(root["config"] == StateValue.dict(["epochs": 2]))
        let model = try #require(root["model"]?.dictValue)
        #expect(model["tensors"] == 3 && model["elements"] == 15)
        let first = try #require(model["entries"]?.arrayValue?.first?.dictValue)
        #expect(first["name"] == "fc1.weight" && first["shape"] == StateValue.list([3, 2]) && first["dtype"] == "float32")
        let opt = try #require(root["optimizer"]?.dictValue)
        #expect(opt["type"] == "SGD")
        #expect(opt["param_groups"]?.arrayValue?.count == 2)
        #expect(opt["state"]?.arrayValue?.first?.dictValue?["param_name"] == "fc1.weight")
        #expect(root["scheduler"]?.dictValue?["_last_lr"] == StateValue.list([0.01, 0.001]))
        let progress = try #require(root["progress"]?.dictValue)
        #expect(progress["global_step"] == 4)
        #expect(progress["lr"]?.dictValue?["per_group"]?.arrayValue?[1].dictValue?["last"] == 0.001)
    }

    /// Reference: torch 2 on [0.5, -1.25, 3, nan, inf, 2, -7.5] restricted to finite values:
    /// min -7.5, max 3, mean -0.65, std (unbiased) 4.151806835583756.
    @Test func statsMatchTorch() throws {
        var c = SampleCheckpoints.checkpoint()
        c.model["w"] = .tensor(TensorData(shape: [7], storage: .float32([0.5, -1.25, 3, .nan, .infinity, 2, -7.5])))
        var f = files
        let p = f.add("stats.h5", c)
        let command = try InspectCommand.parse([p, "model/w", "--stats", "--json"])
        let r = runCommand { try command.execute(console: $0, reader: f.reader) }
        let stats = try #require(try JSON.parse(r.out).dictValue?["stats"]?.dictValue)
        #expect(stats["min"] == -7.5 && stats["max"] == 3.0 && stats["nan"] == 1 && stats["inf"] == 1)
        let mean = try #require(stats["mean"]?.doubleValue), std = try #require(stats["std"]?.doubleValue)
        #expect(abs(mean - -0.65) < 1e-15)
        #expect(abs(std - 4.151806835583756) < 1e-14)
    }

    @Test func pathNarrowsToATensor() throws {
        let r = try inspect([file, "/model/fc1.bias"])
        #expect(r.out == "model/fc1.bias: float32 [3], 3 elements, 12 B\n  values: 1, 1.25, 1.5\n")
    }

    @Test func pathNarrowsToASectionAndAGroup() throws {
        let s = try inspect([file, "scheduler"])
        #expect(s.out.hasPrefix("scheduler: StepLR"))
        #expect(!s.out.contains("model:"))
        let g = try inspect([file, "optimizer/param_groups/1", "--json"])
        let value = try #require(try JSON.parse(g.out).dictValue?["value"]?.dictValue)
        #expect(value["lr"] == 0.001 && value["param_names"] == StateValue.list(["fc2.weight"]))
    }

    @Test func missingPathIsBadInputNamingFileAndPath() throws {
        let r = try inspect([file, "model/fc9.weight"])
        #expect(r.status == .badInput)
        #expect(r.err == "\(file): /model/fc9.weight: no such group or dataset; run 'ckpt inspect \(file)' to list what it holds")
    }

    @Test func missingFileIsBadInput() throws {
        let r = try inspect([files.path("nope.h5")])
        #expect(r.status == .badInput)
        #expect(r.err == "\(files.path("nope.h5")): no such file; check the path")
    }

    @Test func loaderErrorsBecomeOneLine() throws {
        var f = files
        let p = f.add("bad.h5", loadError: "bad.h5: /model/fc1.weight: checksum mismatch\n(stored 1, computed 2)")
        let command = try InspectCommand.parse([p])
        let r = runCommand { try command.execute(console: $0, reader: f.reader) }
        #expect(r.status == .badInput)
        #expect(r.err == "\(p): bad.h5: /model/fc1.weight: checksum mismatch (stored 1, computed 2)")
    }

    static let tree = FileTreeNode(name: "", path: "/", kind: .group, attributes: [("note", "from h5py", "string")], children: [
        FileTreeNode(name: "dense", path: "/dense", kind: .group, children: [
            FileTreeNode(name: "kernel", path: "/dense/kernel", kind: .dataset, shape: [4, 2], type: "float32",
                         attributes: [("trainable", .bool(true), "bool"), ("big", nil, "float64 [1000]")]),
        ]),
        FileTreeNode(name: "step", path: "/step", kind: .dataset, shape: [], type: "int64"),
    ])

    @Test func genericHDF5Tree() throws {
        var f = files
        let p = f.add("keras.h5", tree: Self.tree)
        let command = try InspectCommand.parse([p])
        let r = runCommand { try command.execute(console: $0, reader: f.reader) }
        #expect(r.status == .success)
        #expect(r.out == """
            /              Group
                Attribute: note  "from h5py"
            /dense         Group
            /dense/kernel  Dataset {4, 2}  float32
                Attribute: trainable  True
                Attribute: big  (float64 [1000])
            /step          Dataset scalar  int64

            """)
        let narrowed = try InspectCommand.parse([p, "dense/kernel", "--json"])
        let j = runCommand { try narrowed.execute(console: $0, reader: f.reader) }
        let root = try #require(try JSON.parse(j.out).dictValue?["root"]?.dictValue)
        #expect(root["path"] == "/dense/kernel" && root["shape"] == StateValue.list([4, 2]))
        #expect(root["attributes"]?.dictValue?["big"] == StateValue.dict(["type": "float64 [1000]"]))
    }
}
