import CkptCore
import Foundation
import Testing
@testable import CkptFormat

/// Every kind of state value survives save → load bit for bit, in every position
/// (attribute of a dict, element of a list group, nested dicts), with key order kept.
@Suite struct ValueEncodingTests {
    static func t(_ shape: [Int], _ s: TensorData.Storage) -> StateValue { .tensor(TensorData(shape: shape, storage: s)) }

    static let values: [(String, StateValue)] = [
        ("int", .int(Int64.min)),
        ("intMax", .int(Int64.max)),
        ("double", .double(0.1)),
        ("negZero", .double(-0.0)),
        ("nanPayload", .double(Double(bitPattern: 0x7FF4_0000_0000_0001))),
        ("inf", .double(.infinity)),
        ("negInf", .double(-.infinity)),
        ("subnormal", .double(4.9e-324)),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("string", .string("naïve ✓ 日本")),
        ("emptyString", .string("")),
        ("none", .none),
        ("emptyList", .list([])),
        ("emptyTuple", .tuple([])),
        ("ints", .list([1, 2, 2, 3])),
        ("doublesTuple", .tuple([0.9, 0.999])),
        ("doublesWithInf", .list([.double(.infinity), .double(-.infinity), .double(.nan)])),
        ("bools", .list([true, false])),
        ("strings", .list(["a", "b.c"])),
        ("stringTuple", .tuple(["x"])),
        ("mixedNumbers", .list([1, 2.5])),
        ("listWithNone", .list([nil])),
        ("tupleWithNone", .tuple([1, nil])),
        ("nestedLists", .list([.list([1, 2]), .list([]), .tuple([3.0])])),
        ("listOfDicts", .list([.dict(["type": "StepLR", "gamma": 0.1]), .dict([:])])),
        ("emptyDict", .dict([:])),
        ("f32", t([2, 2], .float32([1, -0.0, .nan, -.infinity]))),
        ("f64", t([3], .float64([.ulpOfOne, -0.0, Double(bitPattern: 0x7FF8_0000_0000_00FF)]))),
        ("f16", t([3], .float16([0x3C00, 0x7E01, 0x8000]))),
        ("i64", t([2], .int64([.min, .max]))),
        ("i32", t([2], .int32([.min, .max]))),
        ("u8", t([3], .uint8([0, 128, 255]))),
        ("bool", t([2], .bool([true, false]))),
        ("zeroD", .tensor(.scalar(3))),
        ("empty", t([0], .float32([]))),
        ("empty2d", t([0, 4], .float64([]))),
        ("tensorList", .list([t([1], .float32([1])), .none, 5])),
    ]

    @Test(arguments: values.map(\.0))
    func valueRoundTripsInEveryPosition(name: String) throws {
        let value = Self.values.first { $0.0 == name }!.1
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/v.h5"
        // As a dict entry between others, as a list element, inside nested dicts.
        let scheduler: StateDict = [
            "type": "X", "before": 1, name: value, "after": .tensor(.scalar(1)), "z": "end",
            "_schedulers": .list([.dict(["type": "Child", "inner": value]), value]),
            "nested": .dict(["deeper": .dict([name: value])]),
        ]
        let c = Checkpoint(model: [name: .tensor(.scalar(0))], scheduler: scheduler, rng: [name: value])
        try CheckpointFile.save(c, to: path)
        let back = try CheckpointFile.load(path)
        #expect(sameCheckpoint(c, back), "\(name): \(String(describing: back.scheduler))")
    }

    @Test func allValuesTogetherKeepOrder() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/all.h5"
        let dict = StateDict(Self.values.reversed())
        // /progress must parse as a run's progress (RunProgress checks it at load); its extra keys are free.
        var progress: StateDict = ["epoch": 0, "global_step": 0]
        for (k, v) in dict { progress[k] = v }
        let c = Checkpoint(model: ["w.x.y": .tensor(.scalar(1)), "ü.weight": .tensor(.scalar(2))], progress: progress, rng: dict)
        try CheckpointFile.save(c, to: path)
        let back = try CheckpointFile.load(path)
        #expect(sameCheckpoint(c, back))
        #expect(back.rng?.keys == dict.keys)
    }

    @Test func deepSchedulerTreeRoundTrips() throws {
        var node: StateDict = ["type": "StepLR", "gamma": 0.5, "last_epoch": -1]
        for depth in 0..<20 {
            node = ["type": depth % 2 == 0 ? "ChainedScheduler" : "SequentialLR", "_milestones": .list([.int(Int64(depth))]),
                    "_schedulers": .list([.dict(node), .dict(["type": "ConstantLR", "factor": 0.25])])]
        }
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let c = Checkpoint(model: [:], scheduler: node)
        try CheckpointFile.save(c, to: dir + "/deep.h5")
        #expect(sameCheckpoint(c, try CheckpointFile.load(dir + "/deep.h5")))
    }

    @Test func metadataStampsComeFirstAndConfigSurvives() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        var c = Checkpoint(model: [:])
        c.config = "{\"lr\": 0.1}"
        c.metadata["created_by"] = "ckpt 9.9"
        c.metadata["tags"] = .tuple(["a", "b"])
        try CheckpointFile.save(c, to: dir + "/m.h5")
        let back = try CheckpointFile.load(dir + "/m.h5")
        #expect(back.metadata.keys == ["format", "format_version", "created_by", "created_at", "config", "tags"])
        #expect(back.config == "{\"lr\": 0.1}")
        #expect(back.metadata["created_by"] == "ckpt 9.9")
        #expect(back.metadata["tags"] == .tuple(["a", "b"]))
        let stamp = try #require(back.metadata["created_at"]?.stringValue)
        #expect(stamp.count == 20 && stamp.hasSuffix("Z"))
    }

    @Test func paramNameAttributeIsWrittenAndNotReadBackAsState() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/p.h5"
        let c = sampleCheckpoint()
        try CheckpointFile.save(c, to: path)
        let g = try HDF5File.open(path).root().openGroup("optimizer").openGroup("state").openGroup("1")
        #expect(try g.readAttribute("param_name") == .string("conv1.bias"))
        #expect(try CheckpointFile.load(path).optimizer?["state"]?.dictValue?["1"]?.dictValue?.keys
                == ["step", "exp_avg", "exp_avg_sq"])
    }

    @Test func invalidKeysAreRejectedBeforeAnythingIsReplaced() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/k.h5"
        try CheckpointFile.save(sampleCheckpoint(), to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for bad in ["a/b", "", ".", "__ckpt_order__"] {
            #expect(throws: CheckpointError.self) {
                try CheckpointFile.save(Checkpoint(model: [bad: .tensor(.scalar(1))]), to: path)
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["k.h5"])
    }
}

import HDF5
