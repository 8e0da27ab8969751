import CkptTestSupport
import Testing
import CkptCore
import CkptFormat
@testable import Ckpt

@Suite struct VerifyCheckpointTests {
    let base = SampleCheckpoints.checkpoint()

    func problems(_ edit: (inout Checkpoint) -> Void) -> [String] {
        var c = base
        edit(&c)
        return CheckpointVerifier.problems(in: c).map(\.description)
    }

    func group(_ c: inout Checkpoint, _ g: Int, _ edit: (inout StateDict) -> Void) {
        var groups = c.optimizer!["param_groups"]!.arrayValue!
        var d = groups[g].dictValue!
        edit(&d)
        groups[g] = .dict(d)
        c.optimizer!["param_groups"] = .list(groups)
    }

    @Test func soundCheckpointHasNoProblems() {
        #expect(CheckpointVerifier.problems(in: base).isEmpty)
    }

    @Test func formatAndVersion() {
        #expect(problems { $0.metadata["format_version"] = 2 } == ["/: format_version is 2, this ckpt reads version 1"])
        #expect(problems { $0.metadata["format"] = "keras" } == ["/: format is \"keras\", expected \"ckpt\""])
    }

    @Test func stateIndexOutsideTheGroups() {
        let p = problems { c in
            var state = c.optimizer!["state"]!.dictValue!
            state["7"] = state["0"]
            c.optimizer!["state"] = .dict(state)
        }
        #expect(p == ["optimizer/state/7: state for parameter 7, which no param group holds (indices: 0, 1, 2)"])
    }

    @Test func stateShapeMustEqualTheParameter() {
        let p = problems { c in
            var state = c.optimizer!["state"]!.dictValue!
            state["2"] = .dict(["momentum_buffer": .tensor(SampleCheckpoints.tensor([3, 2]))])
            c.optimizer!["state"] = .dict(state)
        }
        #expect(p == ["optimizer/state/2/momentum_buffer: shape [3, 2] but parameter fc2.weight has shape [2, 3]"])
    }

    @Test func duplicateAndGappedIndices() {
        let p = problems { c in group(&c, 1) { $0["params"] = .list([1]) } }
        #expect(p == ["optimizer/param_groups/1: parameter index 1 is also in param group 0",
                      "optimizer/state/2: state for parameter 2, which no param group holds (indices: 0, 1)"])
        let q = problems { c in group(&c, 1) { $0["params"] = .list([5]) } }
        // The structural problems (OptimizerStructure's, which load throws too) come first.
        #expect(q == ["optimizer/state/2: state for parameter 2, which no param group holds (indices: 0, 1, 5)",
                      "optimizer/param_groups/1: parameter index 5 outside 0..<3 (PyTorch numbers parameters from 0, groups in order)"])
    }

    @Test func paramNamesMustNameModelTensors() {
        let p = problems { c in group(&c, 0) { $0["param_names"] = .list(["fc1.weight"]) } }
        #expect(p == ["optimizer/param_groups/0: 2 params but 1 param_names"])
        let q = problems { c in group(&c, 1) { $0["param_names"] = .list(["fc9.weight"]) } }
        #expect(q == ["optimizer/param_groups/1: param_names[0] = \"fc9.weight\" is not a tensor of the model"])
    }

    /// PyTorch cannot build an optimizer without param groups; a missing list is named as such.
    @Test func emptyOrMissingParamGroups() {
        #expect(problems { $0.optimizer!["param_groups"] = .list([]); $0.optimizer!["state"] = .dict([:]) }
                == ["optimizer/param_groups: empty (PyTorch cannot build an optimizer without param groups)"])
        #expect(problems { $0.optimizer!["param_groups"] = nil; $0.optimizer!["state"] = .dict([:]) }
                == ["optimizer/param_groups: missing"])
    }

    @Test func schedulerListsMatchGroupCount() {
        let p = problems { c in
            c.scheduler!["base_lrs"] = .list([0.1])
        }
        #expect(p == ["scheduler: base_lrs has 1 entries but the optimizer has 2 param groups"])
        let q = problems { c in c.scheduler!["_last_lr"] = .list([0.01, 0.005]) }
        #expect(q == ["scheduler: _last_lr[1] = 0.005 but optimizer/param_groups/1 has lr = 0.001"])
    }

    @Test func childSchedulersAreChecked() {
        let p = problems { c in
            let child: StateDict = ["type": "ConstantLR", "last_epoch": 1, "base_lrs": .list([0.1, 0.01, 0.3])]
            c.scheduler!["_schedulers"] = .list([.dict(child)])
        }
        #expect(p == ["scheduler/_schedulers/0: base_lrs has 3 entries but the optimizer has 2 param groups"])
    }

    @Test func progressShapes() {
        let p = problems { c in
            c.progress!["global_step"] = 5
            c.progress!["loss"] = .tensor(TensorData(shape: [4], storage: .float64([1, 2, 3, 4])))
        }
        // One parser of /progress (RunProgress) reports the first problem it meets.
        #expect(p == ["progress/lr: shape [4, 2], expected [5, 2] (global_step, param groups)"])
    }

    @Test func unknownOptimizerType() {
        #expect(problems { $0.optimizer!["type"] = "Lion" }
                == ["optimizer: unknown type \"Lion\" (known: ASGD, Adadelta, Adafactor, Adagrad, Adam, AdamW, Adamax, LBFGS, Muon, NAdam, RAdam, RMSprop, Rprop, SGD, SparseAdam)"])
    }

    /// PyTorch's state shapes beyond "like the parameter": 0-d scalars (NAdam's mu_product,
    /// ASGD's eta and mu) and Adafactor's factored row_var [..., r, 1] / col_var [..., 1, c].
    @Test func scalarAndFactoredStateShapes() {
        let name = base.optimizer!["param_groups"]!.arrayValue![0].dictValue!["param_names"]!.arrayValue![0].stringValue!
        let shape = base.model[name]!.tensorValue!.shape
        func zeros(_ s: [Int]) -> StateValue {
            .tensor(TensorData(shape: s, storage: .float32([Float](repeating: 0, count: s.reduce(1, *)))))
        }
        func withSlots(_ slots: StateDict) -> [String] {
            problems { c in
                var state = c.optimizer!["state"]!.dictValue!
                var s = state["0"]!.dictValue!
                for (k, v) in slots { s[k] = v }
                state["0"] = .dict(s)
                c.optimizer!["state"] = .dict(state)
            }
        }
        #expect(withSlots(["mu_product": .tensor(.scalar(0.9)), "eta": .tensor(.scalar(0.01))]).isEmpty)
        #expect(shape.count > 1)
        var row = shape, col = shape
        row[row.count - 1] = 1
        col[col.count - 2] = 1
        #expect(withSlots(["row_var": zeros(row), "col_var": zeros(col)]).isEmpty)
        #expect(withSlots(["row_var": zeros(col)]).count == 1)
    }
}
