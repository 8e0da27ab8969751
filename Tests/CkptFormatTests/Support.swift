import CkptCore
import Foundation
@testable import CkptFormat

/// A fresh scratch directory per test, removed by the caller's `defer`.
func makeScratchDirectory() -> String {
    let dir = NSTemporaryDirectory() + "ckpt-format-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func removeDirectory(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

func f32(_ shape: [Int], _ values: [Float]) -> StateValue { .tensor(TensorData(shape: shape, storage: .float32(values))) }

/// A small but complete checkpoint in PyTorch's structure: LeNet-like model, Adam with
/// param_names, SequentialLR(LinearLR, StepLR), progress and rng.
func sampleCheckpoint() -> Checkpoint {
    let model: StateDict = [
        "conv1.weight": f32([2, 1, 2, 2], (0..<8).map { Float($0) * 0.5 - 1 }),
        "conv1.bias": f32([2], [0.25, -0.0]),
        "fc.weight": f32([1, 2], [.nan, .infinity]),
        "fc.bias": f32([1], [-.infinity]),
    ]
    let state: StateDict = [
        "0": .dict(["step": .tensor(.scalar(3)), "exp_avg": f32([2, 1, 2, 2], Array(repeating: 0.1, count: 8)),
                    "exp_avg_sq": f32([2, 1, 2, 2], Array(repeating: 0.01, count: 8))]),
        "1": .dict(["step": .tensor(.scalar(3)), "exp_avg": f32([2], [1, 2]), "exp_avg_sq": f32([2], [3, 4])]),
    ]
    let group: StateDict = [
        "lr": 0.001, "betas": .tuple([0.9, 0.999]), "eps": 1e-8, "weight_decay": 0, "amsgrad": false,
        "maximize": false, "foreach": nil, "capturable": false, "differentiable": false, "fused": nil,
        "decoupled_weight_decay": false, "initial_lr": 0.001,
        "params": .list([0, 1, 2, 3]),
        "param_names": .list(["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"]),
    ]
    let optimizer: StateDict = ["type": "Adam", "state": .dict(state), "param_groups": .list([.dict(group)])]
    let linear: StateDict = [
        "type": "LinearLR", "start_factor": 0.5, "end_factor": 1.0, "total_iters": 2, "base_lrs": .list([0.001]),
        "last_epoch": 2, "_step_count": 3, "_is_initial": false, "_get_lr_called_within_step": false,
        "_last_lr": .list([0.001]),
    ]
    let step: StateDict = [
        "type": "StepLR", "step_size": 30, "gamma": 0.1, "base_lrs": .list([0.001]), "last_epoch": 0,
        "_step_count": 1, "_is_initial": false, "_get_lr_called_within_step": false, "_last_lr": .list([0.001]),
    ]
    let scheduler: StateDict = [
        "type": "SequentialLR", "_milestones": .list([2]), "last_epoch": 2, "_last_lr": .list([0.001]),
        "_schedulers": .list([.dict(linear), .dict(step)]),
    ]
    let progress: StateDict = [
        "epoch": 1, "global_step": 3,
        "lr": .tensor(TensorData(shape: [3, 1], storage: .float64([0.0005, 0.00075, 0.001]))),
        "loss": .tensor(TensorData(shape: [3], storage: .float32([2.3, 2.2, 2.1]))),
    ]
    let rng: StateDict = ["seed": 0, "torch": .tensor(TensorData(shape: [4], storage: .uint8([1, 2, 3, 4])))]
    return Checkpoint(metadata: ["config": "{\"epochs\": 1}"], model: model, optimizer: optimizer,
                      scheduler: scheduler, progress: progress, rng: rng)
}

/// Section-by-section bitwise equality, metadata compared without the save-time stamps.
func sameCheckpoint(_ a: Checkpoint, _ b: Checkpoint) -> Bool {
    func strip(_ m: StateDict) -> StateDict {
        var m = m
        for k in ["format", "format_version", "created_by", "created_at"] { _ = m.removeValue(forKey: k) }
        return m
    }
    func eq(_ x: StateDict?, _ y: StateDict?) -> Bool {
        switch (x, y) {
        case (nil, nil): true
        case (let x?, let y?): x.bitwiseEqual(y)
        default: false
        }
    }
    return strip(a.metadata).bitwiseEqual(strip(b.metadata)) && a.model.bitwiseEqual(b.model)
        && eq(a.optimizer, b.optimizer) && eq(a.scheduler, b.scheduler) && eq(a.progress, b.progress)
        && eq(a.rng, b.rng)
}
