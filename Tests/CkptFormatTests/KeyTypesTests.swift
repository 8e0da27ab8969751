import CkptCore
import CkptTestSupport
import Foundation
import HDF5
import Testing
@testable import CkptFormat

/// Dict key types in format v1 (docs/FORMAT.md "Key types"): int-keyed dicts and Counters
/// survive save → load, malformed tags are refused with the object named, and files written
/// before the tags existed read with PyTorch's types inferred (the committed fixtures under
/// fixtures/legacy are real output of the earlier writer).
@Suite struct KeyTypesTests {
    static let counter = StateDict(intKeys: [(30, 2), (5, 1), (-1, 1)], pythonClass: .counter)

    static func checkpoint(_ scheduler: StateDict) -> Checkpoint {
        Checkpoint(model: ["w": f32([1], [1])], scheduler: scheduler)
    }

    @Test func intKeysAndCountersRoundTripWithTheirTypes() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let byIndex = StateDict(intKeys: [(3, .dict(["x": 1])), (0, .list([1.5, nil]))])
        let scheduler: StateDict = [
            "type": "Custom", "counts": .dict(Self.counter), "byIndex": .dict(byIndex),
            "names": .dict(StateDict([("a", 2)]).withClass(.counter)),
            "emptyIntKeyed": .dict(StateDict(intKeys: [])),
            "nested": .list([.dict(StateDict(intKeys: [(7, "seven")])), .tuple([.dict(Self.counter)])]),
        ]
        let path = dir + "/k.h5"
        try CheckpointFile.save(Self.checkpoint(scheduler), to: path)
        let back = try #require(try CheckpointFile.load(path).scheduler)
        #expect(back.bitwiseEqual(scheduler))
        #expect(back["counts"]?.dictValue?.intKeys == [30, 5, -1])
        #expect(back["counts"]?.dictValue?.pythonClass == .counter)
        #expect(back["names"]?.dictValue?.keyKind == .string)
        #expect(back["emptyIntKeyed"]?.dictValue?.keyKind == .int)

        let g = try HDF5File.open(path).root().openGroup("scheduler").openGroup("counts")
        #expect(try g.attributeNames() == ["30", "5", "-1", "__ckpt_keys__", "__ckpt_class__"])
        #expect(try g.readAttribute("__ckpt_keys__") == .string("int"))
        #expect(try g.readAttribute("__ckpt_class__") == .string("Counter"))
    }

    @Test func aKeyTypeIsPartOfTheValue() {
        let ints = StateDict(intKeys: [(2, 1)]), strings: StateDict = ["2": 1]
        #expect(ints != strings && !ints.bitwiseEqual(strings))
        #expect(StateValue.dict(ints.withClass(.counter)) != .dict(ints))
        #expect(StateValue.dict(ints.withClass(.counter)).kindName == "Counter")
        #expect(ints[int: 2] == .int(1) && ints["2"] == .int(1))
        let mapped = StateValue.dict(ints.withClass(.counter)).mapValues { $0 }
        #expect(mapped.dictValue?.keyKind == .int && mapped.dictValue?.pythonClass == .counter)
    }

    @Test(arguments: ["07", "+7", "-0", "x", "9223372036854775808"])
    func anIntKeyedDictWithANonCanonicalKeyIsNotSaved(key: String) throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        var bad = StateDict(intKeys: [(1, 1)])
        bad[key] = 2
        #expect(StateDict.intKey(key) == nil)
        #expect(throws: CheckpointError.unsupportedValue(
            file: dir + "/b.h5", path: "/scheduler/d/\(key)",
            reason: "key \"\(key)\" of an int-keyed dict is not an int in canonical decimal form")) {
            try CheckpointFile.save(Self.checkpoint(["type": "X", "d": .dict(bad)]), to: dir + "/b.h5")
        }
    }

    /// Loads a checkpoint made with the HDF5 layer whose `/scheduler` group `build` fills: a file
    /// no ckpt writer would produce (no manifest, so it is read through the isolated reader).
    static func loadHandMade(_ build: (HDF5Group) throws -> Void) throws -> Result<Checkpoint, CheckpointError> {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/e.h5"
        let file = try HDF5File.create(path)
        let root = try file.root()
        try root.writeAttribute("format", .string("ckpt"))
        try root.writeAttribute("format_version", .scalar(Int64(1)))
        _ = try root.createGroup("model")
        let scheduler = try root.createGroup("scheduler")
        try scheduler.writeAttribute("type", .string("X"))
        try build(scheduler)
        try file.close()
        do { return .success(try CheckpointFile.load(path, verifyChecksums: false)) } catch let e as CheckpointError {
            return .failure(e)
        }
    }

    @Test func malformedTagsAreRefusedNamingTheObject() throws {
        func reason(_ tags: [(String, HDF5AttributeValue)], list: Bool = false) throws -> String {
            let r = try Self.loadHandMade { s in
                let g = try s.createGroup("counts")
                if list { try g.writeAttribute("__ckpt_kind__", .string("list")) }
                try g.writeAttribute(list ? "0" : "30", .scalar(Int64(2)))
                for (name, value) in tags { try g.writeAttribute(name, value) }
            }
            if case .failure(.malformed(_, let path, let reason)) = r { return "\(path): \(reason)" }
            return "\(r)"
        }
        #expect(try reason([("__ckpt_keys__", .string("int")), ("__ckpt_class__", .string("Counter"))]).contains("success"))
        #expect(try reason([("__ckpt_keys__", .string("float"))])
                == "/scheduler/counts/__ckpt_keys__: expected \"int\", found \"float\"")
        #expect(try reason([("__ckpt_class__", .string("defaultdict"))])
                == "/scheduler/counts/__ckpt_class__: expected \"Counter\", found \"defaultdict\"")
        #expect(try reason([("07", .scalar(Int64(1))), ("__ckpt_keys__", .string("int"))])
                == "/scheduler/counts/07: the group's keys are ints (__ckpt_keys__ = \"int\"), but \"07\" is not an int in canonical decimal form")
        #expect(try reason([("__ckpt_keys__", .array([Int64(1)]))]) == "/scheduler/counts/__ckpt_keys__: expected a string")
        #expect(try reason([("__ckpt_keys__", .string("int"))], list: true)
                == "/scheduler/counts: a list or tuple group cannot carry __ckpt_keys__ or __ckpt_class__")
    }

    // MARK: files written before the tags

    @Test func legacyFilesReadWithPyTorchsKeyTypes() throws {
        let legacy = Repository.root + "/fixtures/legacy/"
        let root = try HDF5File.open(legacy + "mlp_adam_multisteplr_epoch3.h5").root()
        #expect(try !root.openGroup("optimizer").openGroup("state").hasAttribute("__ckpt_keys__"))
        #expect(try !root.openGroup("scheduler").openGroup("milestones").hasAttribute("__ckpt_class__"))

        let c = try CheckpointFile.load(legacy + "mlp_adam_multisteplr_epoch3.h5")
        #expect(c.optimizer?["state"]?.dictValue?.intKeys == [0, 1, 2, 3])
        let milestones = try #require(c.scheduler?["milestones"]?.dictValue)
        #expect(milestones.bitwiseEqual(StateDict(intKeys: [(2, 2), (4, 1)], pythonClass: .counter)))
        let s = try CheckpointFile.load(legacy + "swift_run_before_key_types.h5")
        #expect(s.optimizer?["state"]?.dictValue?.intKeys == [0, 1, 2, 3])
    }

    @Test func anOldAndANewFileOfTheSameStateLoadEqual() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let old = try CheckpointFile.load(Repository.root + "/fixtures/legacy/mlp_adam_multisteplr_epoch3.h5")
        try CheckpointFile.save(old, to: dir + "/new.h5")
        let new = try CheckpointFile.load(dir + "/new.h5")
        #expect(sameCheckpoint(old, new))
        #expect(CheckpointDiff(old, new).isIdentical)
        let g = try HDF5File.open(dir + "/new.h5").root().openGroup("scheduler").openGroup("milestones")
        #expect(try g.readAttribute("__ckpt_class__") == .string("Counter"))
    }

    @Test func checkpointsGiveTheTwoPyTorchPlacesTheirTypes() {
        let child: StateDict = ["type": "MultiStepLR", "milestones": .dict(["3": 1, "1": 2])]
        var c = Checkpoint(model: [:], optimizer: ["type": "SGD", "state": .dict(["1": .dict([:]), "0": .dict([:])])],
                           scheduler: ["type": "SequentialLR", "_schedulers": .list([.dict(["type": "StepLR"]), .dict(child)])])
        #expect(c.optimizer?["state"]?.dictValue?.intKeys == [1, 0])
        let m = c.scheduler?["_schedulers"]?.arrayValue?[1].dictValue?["milestones"]?.dictValue
        #expect(m?.intKeys == [3, 1] && m?.pythonClass == .counter)
        // Setting a section retypes it too; keys that are not ints are left for the loaders to name.
        c.scheduler = ["type": "MultiStepLR", "milestones": .dict(["a": 1])]
        #expect(c.scheduler?["milestones"]?.dictValue?.keyKind == .string)
        c.optimizer?["state"] = .dict(["2": .dict([:])])
        #expect(c.optimizer?["state"]?.dictValue?.intKeys == [2])
    }

    @Test func aDiffNamesADictWhoseKeyTypeDiffers() {
        let a = Self.checkpoint(["type": "MultiStepLR", "milestones": .dict(Self.counter)])
        var plain = Self.counter
        plain.pythonClass = nil
        let b = Self.checkpoint(["type": "Custom", "milestones": .dict(plain)])
        let d = CheckpointDiff(a, b)
        let entry = d.values.first { $0.path == "scheduler/milestones" }
        #expect(entry?.a == .string("Counter with int keys") && entry?.b == .string("dict with int keys") && entry?.differs == true)
    }

    // MARK: PyTorch's own file

    /// `fixtures/make_pytorch_resume_fixture.py`: PyTorch's Adam + MultiStepLR state saved with
    /// ckpt_torch.save reads with the types PyTorch had (recorded in the JSON beside it).
    @Test func aPyTorchWrittenFileReadsWithPyTorchsTypes() throws {
        let c = try CheckpointFile.load(Repository.root + "/fixtures/pytorch/adam_multisteplr_epoch3.h5")
        let ref = try #require(try JSON.parse(String(contentsOfFile: Repository.root + "/fixtures/pytorch/adam_multisteplr.json",
                                                     encoding: .utf8)).dictValue)
        let saved = try #require(ref["saved_types"]?.dictValue)
        let milestonesType = saved["scheduler"]?.dictValue?["items"]?.dictValue?["milestones"]?.dictValue
        let milestones = try #require(c.scheduler?["milestones"]?.dictValue)
        #expect(milestonesType?["class"] == .string("Counter") && milestones.pythonClass == .counter)
        #expect(milestonesType?["key_types"] == .list(["int"]) && milestones.intKeys == [2, 4])
        #expect(milestones[int: 2] == .int(2) && milestones[int: 4] == .int(1))
        let stateType = saved["optimizer"]?.dictValue?["items"]?.dictValue?["state"]?.dictValue
        #expect(stateType?["key_types"] == .list(["int"]))
        #expect(c.optimizer?["state"]?.dictValue?.intKeys == [0, 1, 2, 3])
        let root = try HDF5File.open(Repository.root + "/fixtures/pytorch/adam_multisteplr_epoch3.h5").root()
        #expect(try root.openGroup("optimizer").openGroup("state").readAttribute("__ckpt_keys__") == .string("int"))
    }
}

extension StateDict {
    func withClass(_ c: PythonClass) -> StateDict {
        var d = self
        d.pythonClass = c
        return d
    }
}
