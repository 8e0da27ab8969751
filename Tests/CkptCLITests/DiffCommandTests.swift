import CkptTestSupport
import Testing
import CkptCore
import CkptFormat
@testable import CkptCLI

@Suite struct DiffCommandTests {
    var files = MemoryFiles()
    let a: String
    let same: String
    let changed: String

    init() {
        let base = SampleCheckpoints.checkpoint()
        a = files.add("a.h5", base)
        var resumed = base
        resumed.metadata["created_at"] = "2026-11-25T08:00:00Z"
        same = files.add("same.h5", resumed)
        var c = SampleCheckpoints.setting(base, model: "fc2.weight", index: 4, to: 7)
        var groups = c.optimizer!["param_groups"]!.arrayValue!
        var g = groups[0].dictValue!
        g["lr"] = 0.02
        groups[0] = .dict(g)
        c.optimizer!["param_groups"] = .list(groups)
        var lr = c.progress!["lr"]!.tensorValue!
        lr.storage = .float64([0.1, 0.01, 0.1, 0.01, 0.02, 0.001, 0.02, 0.001])
        c.progress!["lr"] = .tensor(lr)
        changed = files.add("changed.h5", c)
    }

    func diff(_ args: [String]) throws -> (status: CommandStatus, out: String, err: String) {
        let command = try DiffCommand.parse(args)
        return runCommand { try command.execute(console: $0, reader: files.reader) }
    }

    @Test func identicalExitsZeroAndShowsCreationFacts() throws {
        let r = try diff([a, same])
        #expect(r.status == .success)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.contains("created_at: A 2026-11-24T20:00:00Z, B 2026-11-25T08:00:00Z (not compared)"))
        #expect(lines.contains("model: 3 tensors, all identical"))
        #expect(lines.contains("  lr: identical for 4 steps"))
        #expect(lines.last == "identical")
    }

    @Test func differencesExitOneNamingTensorHyperparameterAndStep() throws {
        let r = try diff([a, changed])
        #expect(r.status == .failure)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.contains("model: 3 tensors, 1 differ"))
        #expect(lines.contains("  fc2.weight: float32 [2, 3]: 1 of 6 elements differ, max abs 7, max rel 1; first at [1, 1]: 0.0 vs 7.0"))
        #expect(lines.contains { $0.split(separator: " ") == ["0", "lr", "0.01", "0.02", "*"] })
        #expect(lines.contains { $0.split(separator: " ") == ["1", "lr", "0.001", "0.001"] })
        #expect(lines.contains("optimizer (SGD): 3 tensors, all identical"))
        #expect(lines.contains("  lr: first differs at step 3, group 0: 0.01 vs 0.02 (2 of 4 common steps differ)"))
        #expect(lines.last == "3 differences found")
    }

    @Test func toleranceAbsorbsSmallDifferences() throws {
        // fc2.weight differs by 7 (|b| = 7), the lrs by 0.01.
        #expect(try diff([a, changed, "--atol", "1"]).status == .failure)
        #expect(try diff([a, changed, "--rtol", "0.99"]).status == .failure)
        #expect(try diff([a, changed, "--rtol", "1"]).status == .success)
        let r = try diff([a, changed, "--atol", "6.5", "--rtol", "0.1"])
        #expect(r.status == .success)
        #expect(r.out.contains("(atol 6.5, rtol 0.1)"))
        let e = try diff([a, changed, "--exclude", "model/fc2.weight", "--exclude", "/optimizer/param_groups/0/lr", "--exclude", "progress/lr"])
        #expect(e.status == .success)
        #expect(e.out.contains("(exact comparison; excluding model/fc2.weight, optimizer/param_groups/0/lr, progress/lr)"))
    }

    @Test func jsonParsesBack() throws {
        let r = try diff([a, changed, "--json"])
        #expect(r.status == .failure)
        let root = try #require(try JSON.parse(r.out).dictValue)
        #expect(root["identical"] == false && root["differences"] == 3)
        let tensors = try #require(root["tensors"]?.arrayValue).compactMap(\.dictValue)
        let t = try #require(tensors.first { $0["status"] == "differs" })
        #expect(t["path"] == "model/fc2.weight" && t["differing"] == 1 && t["max_abs"] == 7.0)
        #expect(t["first"] == StateValue.dict(["index": 4, "a": 0.0, "b": 7.0]))
        let h = try #require(root["histories"]?.arrayValue?.first?.dictValue)
        #expect(h["first"] == StateValue.dict(["step": 3, "group": 0, "a": 0.01, "b": 0.02]))
        let values = try #require(root["values"]?.arrayValue).compactMap(\.dictValue)
        let v = try #require(values.first { $0["differs"] == true })
        #expect(v["path"] == "optimizer/param_groups/0/lr" && v["a"] == 0.01 && v["b"] == 0.02)
    }

    @Test func float32ElementsPrintAsFloat32() throws {
        var f = files
        let p = f.add("tenth.h5", SampleCheckpoints.setting(SampleCheckpoints.checkpoint(), model: "fc1.bias", index: 0, to: 0.1))
        let command = try DiffCommand.parse([p, a])
        let r = runCommand { try command.execute(console: $0, reader: f.reader) }
        #expect(r.out.contains("first at [0]: 0.1 vs 1.0\n"))
    }

    @Test func sameTwiceGivesSameText() throws {
        #expect(try diff([a, changed]).out == diff([a, changed]).out)
        #expect(try diff([a, changed, "--json"]).out == diff([a, changed, "--json"]).out)
    }

    @Test func missingShapeAndDtypeLines() throws {
        var f = files
        var c = SampleCheckpoints.checkpoint()
        c.model.removeValue(forKey: "fc1.bias")
        c.model["fc2.weight"] = .tensor(SampleCheckpoints.tensor([3, 2]))
        c.rng!["state"] = .tensor(TensorData(shape: [4], storage: .int32([1, 2, 3, 4])))
        let p = f.add("other.h5", c)
        let command = try DiffCommand.parse([a, p])
        let r = runCommand { try command.execute(console: $0, reader: f.reader) }
        #expect(r.status == .failure)
        #expect(r.out.contains("  fc1.bias: only in A (float32 [3])\n"))
        #expect(r.out.contains("  fc2.weight: shape [2, 3] vs [3, 2]\n"))
        #expect(r.out.contains("  state: dtype uint8 vs int32; values equal\n"))
    }

    @Test(arguments: [["--atol", "-1"], ["--rtol", "nan"]])
    func invalidToleranceIsBadInput(extra: [String]) throws {
        #expect(throws: (any Error).self) { try DiffCommand.parse([a, same] + extra) }
        var command = try DiffCommand.parse([a, same])
        command.atol = extra[0] == "--atol" ? -1 : 0
        command.rtol = extra[0] == "--rtol" ? .nan : 0
        let r = runCommand { try command.execute(console: $0, reader: files.reader) }
        #expect(r.status == .badInput)
        #expect(r.err.hasPrefix(extra[0] + " must be a finite number >= 0"))
    }

    @Test func missingOrForeignFileIsBadInput() throws {
        let r = try diff([a, files.path("missing.h5")])
        #expect(r.status == .badInput && r.err.hasSuffix("missing.h5: no such file; check the path"))
        var f = files
        let p = f.add("keras.h5", tree: InspectCommandTests.tree)
        let command = try DiffCommand.parse([a, p])
        let q = runCommand { try command.execute(console: $0, reader: f.reader) }
        #expect(q.status == .badInput)
        #expect(q.err == "\(p): not a ckpt checkpoint (no root attribute format = \"ckpt\"); 'ckpt inspect \(p)' lists what it holds")
    }
}
