import CkptCore
import Testing
@testable import CkptFormat

/// `OptimizerStructure` is the one structural check of `/optimizer`: `ckpt verify` lists its
/// problems, `CheckpointFile.load` throws the first of them.
@Suite struct OptimizerStructureTests {
    func optimizer(_ edit: (inout StateDict) -> Void) -> StateDict {
        var o = sampleCheckpoint().optimizer!
        edit(&o)
        return o
    }

    func groups(_ o: StateDict) -> [StateDict] { o["param_groups"]!.arrayValue!.map { $0.dictValue! } }

    @Test func soundOptimizerHasNoProblems() {
        let s = OptimizerStructure(sampleCheckpoint().optimizer!)
        #expect(s.problems.isEmpty)
        #expect(s.slots.keys.sorted() == [0, 1, 2, 3])
        #expect(s.slots[2] == OptimizerStructure.Slot(group: 0, position: 2, name: "fc.weight"))
    }

    @Test func everyProblemIsListedInKeyOrder() {
        let o = optimizer { o in
            var g = groups(o)[0]
            g["params"] = .list([0, 1, 1, 3])
            g["param_names"] = .list(["a", "b"])
            var state = o["state"]!.dictValue!
            state["9"] = .dict([:])
            state["x"] = .dict([:])
            state["1"] = 5
            o["state"] = .dict(state)
            o["param_groups"] = .list([.dict(g), 7])
            o["type"] = nil
        }
        #expect(OptimizerStructure(o).problems.map(\.description) == [
            "optimizer: no type attribute",
            "optimizer/param_groups/0: 4 params but 2 param_names",
            "optimizer/param_groups/0: parameter index 1 is also in param group 0",
            "optimizer/param_groups/1: is a int, expected a dict of hyperparameters",
            "optimizer/state/1: is a int, expected a dict",
            "optimizer/state/9: state for parameter 9, which no param group holds (indices: 0, 1, 3)",
            "optimizer/state/x: state for parameter x, which no param group holds (indices: 0, 1, 3)",
        ])
    }

    /// PyTorch cannot build an optimizer without param groups, so no state dict without them loads.
    @Test func emptyParamGroupsAreRefused() {
        let o = optimizer { $0["param_groups"] = .list([]); $0["state"] = .dict([:]) }
        #expect(OptimizerStructure(o).problems.map(\.description)
                == ["optimizer/param_groups: empty (PyTorch cannot build an optimizer without param groups)"])
        // A group with no params is one PyTorch builds.
        let p = optimizer { o in
            var g = groups(o)[0]
            g["params"] = .list([])
            g["param_names"] = .list([])
            o["param_groups"] = .list([.dict(g)])
            o["state"] = .dict([:])
        }
        #expect(OptimizerStructure(p).problems.isEmpty)
    }

    @Test func missingPartsNameTheAbsentObject() {
        let s = OptimizerStructure(optimizer { $0["state"] = nil; $0["param_groups"] = nil })
        #expect(s.problems.map(\.missing) == ["optimizer/param_groups", "optimizer/state"])
        #expect(s.problems[0].error(file: "f.h5") == .missing(file: "f.h5", path: "/optimizer/param_groups"))
    }

    /// Load throws the first problem verify lists, with a "/" path.
    @Test func loadThrowsTheFirstProblem() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        var c = sampleCheckpoint()
        c.optimizer = optimizer { o in
            var g = groups(o)[0]
            g["params"] = .list([0, 1, 1, 3])
            o["param_groups"] = .list([.dict(g)])
        }
        let first = try #require(OptimizerStructure(c.optimizer!).problems.first)
        try CheckpointFile.save(c, to: dir + "/dup.h5")
        #expect(throws: first.error(file: dir + "/dup.h5")) { try CheckpointFile.load(dir + "/dup.h5") }
        #expect(first.error(file: "f") == .malformed(file: "f", path: "/optimizer/param_groups/0",
                                                      reason: "parameter index 1 is also in param group 0"))

        c.optimizer = optimizer { $0["param_groups"] = .list([]); $0["state"] = .dict([:]) }
        try CheckpointFile.save(c, to: dir + "/empty.h5")
        #expect(throws: CheckpointError.malformed(file: dir + "/empty.h5", path: "/optimizer/param_groups",
                                                  reason: "empty (PyTorch cannot build an optimizer without param groups)")) {
            try CheckpointFile.load(dir + "/empty.h5")
        }
    }
}
