import CkptCore
import CkptFormat

/// A small two-group SGD + StepLR checkpoint in memory, shaped like what training writes:
/// the shared sample of the diff, verify and command tests.
public enum SampleCheckpoints {
    public static func tensor(_ shape: [Int], _ start: Float = 0) -> TensorData {
        let n = shape.reduce(1, *)
        return TensorData(shape: shape, storage: .float32((0..<n).map { start + Float($0) * 0.25 }))
    }

    public static func checkpoint(steps: Int = 4) -> Checkpoint {
        let model: StateDict = [
            "fc1.weight": .tensor(tensor([3, 2])),
            "fc1.bias": .tensor(tensor([3], 1)),
            "fc2.weight": .tensor(tensor([2, 3], -1)),
        ]
        let group0: StateDict = [
            "lr": 0.01, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": false,
            "initial_lr": 0.1, "params": .list([0, 1]), "param_names": .list(["fc1.weight", "fc1.bias"]),
        ]
        let group1: StateDict = [
            "lr": 0.001, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": false,
            "initial_lr": 0.01, "params": .list([2]), "param_names": .list(["fc2.weight"]),
        ]
        let optimizer: StateDict = [
            "type": "SGD",
            "state": .dict([
                "0": .dict(["momentum_buffer": .tensor(tensor([3, 2], 0.5))]),
                "1": .dict(["momentum_buffer": .tensor(tensor([3], 0.5))]),
                "2": .dict(["momentum_buffer": .tensor(tensor([2, 3], 0.5))]),
            ]),
            "param_groups": .list([.dict(group0), .dict(group1)]),
        ]
        let scheduler: StateDict = [
            "type": "StepLR", "step_size": 2, "gamma": 0.1, "base_lrs": .list([0.1, 0.01]),
            "last_epoch": 2, "_step_count": 3, "_is_initial": false, "_get_lr_called_within_step": false,
            "_last_lr": .list([0.01, 0.001]),
        ]
        var lr: [Double] = []
        for s in 0..<steps { lr += s < 2 ? [0.1, 0.01] : [0.01, 0.001] }
        let progress: StateDict = [
            "epoch": 2, "global_step": .int(Int64(steps)),
            "lr": .tensor(TensorData(shape: [steps, 2], storage: .float64(lr))),
            "loss": .tensor(TensorData(shape: [steps], storage: .float32((0..<steps).map { 2.5 - Float($0) * 0.125 }))),
        ]
        let metadata: StateDict = [
            "format": "ckpt", "format_version": 1, "created_by": "ckpt 0.1.0",
            "created_at": "2026-11-24T20:00:00Z", "config": "{\"epochs\": 2}",
        ]
        return Checkpoint(metadata: metadata, model: model, optimizer: optimizer, scheduler: scheduler,
                          progress: progress, rng: ["seed": 0, "state": .tensor(TensorData(shape: [4], storage: .uint8([1, 2, 3, 4])))])
    }

    /// Replaces one element of a float32 tensor at `path` (section/key...) of a checkpoint.
    public static func setting(_ c: Checkpoint, model name: String, index: Int, to value: Float) -> Checkpoint {
        var c = c
        guard case .tensor(var t)? = c.model[name], case .float32(var a) = t.storage else { return c }
        a[index] = value
        t.storage = .float32(a)
        c.model[name] = .tensor(t)
        return c
    }
}
