import CkptTestSupport
import Testing
import CkptCore
@testable import CkptFormat

@Suite struct DiffCheckpointTests {
    let base = SampleCheckpoints.checkpoint()

    @Test func identicalCheckpointsHaveNoDifferences() {
        let d = CheckpointDiff(base, base)
        #expect(d.isIdentical)
        #expect(d.tensors.count == 3 + 3 + 1)  // model, optimizer state, rng/state
        #expect(d.histories.map(\.path) == ["progress/lr", "progress/loss"])
        #expect(d.histories.allSatisfy { !$0.isDifference })
    }

    @Test func creationFactsNeverCount() {
        var b = base
        b.metadata["created_at"] = "2030-01-01T00:00:00Z"
        b.metadata["created_by"] = "ckpt 9.9"
        let d = CheckpointDiff(base, b)
        #expect(d.isIdentical)
        #expect(d.creation.map(\.path) == ["metadata/created_by", "metadata/created_at"])
        #expect(d.creation[1].b == "2030-01-01T00:00:00Z")
    }

    @Test func changedElementIsReportedWithCountsAndTolerance() throws {
        let b = SampleCheckpoints.setting(base, model: "fc1.weight", index: 4, to: 1.0 + 0.001)
        let d = CheckpointDiff(base, b)
        #expect(d.differenceCount == 1)
        let e = try #require(d.tensors.first { $0.isDifference })
        #expect(e.path == "model/fc1.weight")
        #expect(e.difference?.differing == 1)
        #expect(e.difference?.first?.index == 4)
        #expect(CheckpointDiff(base, b, options: DiffOptions(tolerance: Tolerance(atol: 1e-2))).isIdentical)
        #expect(!CheckpointDiff(base, b, options: DiffOptions(tolerance: Tolerance(rtol: 1e-4))).isIdentical)
    }

    @Test func missingShapeAndDtypeAreDifferences() {
        var b = base
        b.model.removeValue(forKey: "fc1.bias")
        b.model["extra"] = .tensor(SampleCheckpoints.tensor([1]))
        b.model["fc2.weight"] = .tensor(SampleCheckpoints.tensor([3, 2], -1))
        b.optimizer!["state"] = .dict([
            "0": .dict(["momentum_buffer": .tensor(SampleCheckpoints.tensor([3, 2], 0.5))]),
            "1": .dict(["momentum_buffer": .tensor(TensorData(shape: [3], storage: .float64([0.5, 0.75, 1])))]),
            "2": .dict(["momentum_buffer": .tensor(SampleCheckpoints.tensor([2, 3], 0.5))]),
        ])
        let d = CheckpointDiff(base, b)
        let diffs = d.tensors.filter(\.isDifference)
        #expect(diffs.map(\.path) == ["model/fc1.bias", "model/fc2.weight", "model/extra", "optimizer/state/1/momentum_buffer"])
        #expect(diffs[0].onlyInA && diffs[2].onlyInB && diffs[1].shapeDiffers && diffs[3].dtypeDiffers)
        #expect(diffs[3].difference?.isClose == true)  // same values, other dtype: still a difference
    }

    @Test func hyperparametersAndSchedulerKeysSideBySide() {
        var b = base
        var groups = b.optimizer!["param_groups"]!.arrayValue!
        var g1 = groups[1].dictValue!
        g1["lr"] = 0.002
        groups[1] = .dict(g1)
        b.optimizer!["param_groups"] = .list(groups)
        b.scheduler!["gamma"] = 0.5
        let d = CheckpointDiff(base, b)
        let diffs = d.values.filter(\.differs)
        #expect(diffs.map(\.path) == ["optimizer/param_groups/1/lr", "scheduler/gamma"])
        #expect(diffs[0].a == 0.001 && diffs[0].b == 0.002)
        #expect(d.values.contains { $0.path == "optimizer/param_groups/0/params" && !$0.differs })
    }

    @Test func configComparesKeyByKey() {
        var b = base
        b.config = "{\"epochs\": 4, \"seed\": 1}"
        let d = CheckpointDiff(base, b)
        #expect(d.values.map(\.path) .filter { $0.hasPrefix("metadata/config") } == ["metadata/config/epochs", "metadata/config/seed"])
        #expect(d.values.filter(\.differs).map(\.path) == ["metadata/config/epochs", "metadata/config/seed"])
        #expect(d.values.first { $0.path == "metadata/config/seed" }?.a == nil)
        #expect(CheckpointDiff(base, b, options: DiffOptions(exclude: ["metadata/config"])).isIdentical)
    }

    @Test func intAndDoubleZeroDiffer() {
        var b = base
        b.scheduler!["step_size"] = 2.0
        #expect(CheckpointDiff(base, b).values.filter(\.differs).map(\.path) == ["scheduler/step_size"])
    }

    @Test func historyFirstDifferingStepAndGroup() throws {
        var b = base
        var lr = b.progress!["lr"]!.tensorValue!
        lr.storage = .float64([0.1, 0.01, 0.1, 0.01, 0.01, 0.002, 0.01, 0.002])
        b.progress!["lr"] = .tensor(lr)
        let d = CheckpointDiff(base, b)
        let h = try #require(d.histories.first { $0.path == "progress/lr" })
        #expect(h.first == .init(step: 3, group: 1, a: 0.001, b: 0.002))
        #expect(h.differingSteps == 2)
        #expect(d.differenceCount == 1)
    }

    @Test func longerHistoryDiffersAtFirstExtraStep() throws {
        let c = SampleCheckpoints.checkpoint(steps: 6)
        let d = CheckpointDiff(base, c)
        let h = try #require(d.histories.first { $0.path == "progress/lr" })
        #expect(h.first == .init(step: 5, group: 0, a: nil, b: 0.01))
        #expect(d.values.filter(\.differs).map(\.path) == ["progress/global_step"])
    }

    @Test func excludeDropsWholeSubtrees() {
        var b = SampleCheckpoints.setting(base, model: "fc2.weight", index: 0, to: 42)
        b.rng = ["seed": 1]
        #expect(!CheckpointDiff(base, b).isIdentical)
        let d = CheckpointDiff(base, b, options: DiffOptions(exclude: ["/model/fc2.weight", "rng/"]))
        #expect(d.isIdentical)
        #expect(!d.tensors.contains { $0.path.hasPrefix("rng") || $0.path == "model/fc2.weight" })
        // A prefix that is not a whole component excludes nothing.
        #expect(!CheckpointDiff(base, b, options: DiffOptions(exclude: ["model/fc2", "rng"])).isIdentical)
    }

    @Test func firstElementsAreExactForInt64() {
        var b = base
        b.rng!["state"] = .tensor(TensorData(shape: [2], storage: .int64([7, -6627793098026706500])))
        var a = base
        a.rng!["state"] = .tensor(TensorData(shape: [2], storage: .int64([7, -6627793098026706501])))
        let e = CheckpointDiff(a, b).tensors.first { $0.isDifference }
        #expect(e?.path == "rng/state" && e?.difference?.differing == 1)
        #expect(e?.firstElements?.a == .int(-6627793098026706501) && e?.firstElements?.b == .int(-6627793098026706500))
    }

    @Test func nanAtSamePositionIsEqual() {
        let a = SampleCheckpoints.setting(base, model: "fc1.bias", index: 1, to: .nan)
        let b = SampleCheckpoints.setting(base, model: "fc1.bias", index: 1, to: -.nan)
        #expect(CheckpointDiff(a, b).isIdentical)
        let d = CheckpointDiff(a, base)
        #expect(d.tensors.first { $0.isDifference }?.difference?.nanMismatches == 1)
    }

    @Test func sameInputsGiveSameResult() {
        let b = SampleCheckpoints.setting(base, model: "fc1.weight", index: 0, to: 9)
        let d1 = CheckpointDiff(base, b), d2 = CheckpointDiff(base, b)
        #expect(d1.tensors == d2.tensors && d1.values == d2.values && d1.histories == d2.histories)
    }
}
