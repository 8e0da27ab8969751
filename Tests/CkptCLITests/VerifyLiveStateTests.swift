import Ckpt
import Testing
import Foundation
import CkptCore
import CkptOptim
import CkptFormat
@testable import CkptCLI

/// The verifier and the diff on state dicts produced by this project's own LeNet, optimizers
/// and schedulers after real steps: a sound run must verify with no problem (no false alarms).
@Suite struct VerifyLiveStateTests {
    static func run(_ makeOptimizer: ([ParamGroup]) throws -> Optimizer, steps: Int = 3) throws -> Checkpoint {
        let model = LeNet(seed: 0)
        let params = model.parameters()
        // Two groups: weights, then biases (PyTorch numbering runs across groups in order).
        let groups = [ParamGroup(params: params.filter { $0.name.hasSuffix("weight") }, options: [:]),
                      ParamGroup(params: params.filter { $0.name.hasSuffix("bias") }, options: ["lr": 0.01])]
        let optimizer = try makeOptimizer(groups)
        let scheduler = try ExponentialLR(optimizer: optimizer, gamma: PyNumber(0.9))
        var lr: [Double] = []
        for s in 0..<steps {
            for p in params {
                p.grad = Tensor(shape: p.shape, storage: (0..<p.value.count).map { Float(($0 + s) % 7) * 0.01 - 0.03 })
            }
            lr += optimizer.paramGroups.map { $0.options["lr"]?.doubleValue ?? .nan }
            try optimizer.step()
            try scheduler.step()
        }
        let progress: StateDict = [
            "epoch": .int(Int64(steps)), "global_step": .int(Int64(steps)),
            "lr": .tensor(TensorData(shape: [steps, 2], storage: .float64(lr))),
            "loss": .tensor(TensorData(shape: [steps], storage: .float32(Array(repeating: 1, count: steps)))),
        ]
        return Checkpoint(metadata: ["format": "ckpt", "format_version": 1], model: model.stateDict(),
                          optimizer: optimizer.stateDict(), scheduler: scheduler.stateDict(), progress: progress)
    }

    @Test func sgdMomentumRunIsSound() throws {
        let c = try Self.run { try SGD(groups: $0, options: ["lr": 0.001, "momentum": 0.9]) }
        #expect(CheckpointVerifier.problems(in: c).isEmpty, "\(CheckpointVerifier.problems(in: c))")
        #expect(c.optimizer?["state"]?.dictValue?.count == 10)
    }

    @Test func adamRunIsSoundAndDiffFindsTheDivergence() throws {
        let a = try Self.run { try Adam(groups: $0, options: ["lr": 0.001]) }
        #expect(CheckpointVerifier.problems(in: a).isEmpty, "\(CheckpointVerifier.problems(in: a))")
        let b = try Self.run({ try Adam(groups: $0, options: ["lr": 0.001]) }, steps: 4)
        let d = CheckpointDiff(a, b)
        #expect(!d.isIdentical)
        // Every model and state tensor moved with the extra step; step counters too.
        #expect(d.tensors.filter(\.isDifference).count == 10 + 30)
        #expect(d.histories.first { $0.path == "progress/lr" }?.first?.step == 4)
        #expect(CheckpointDiff(a, try Self.run { try Adam(groups: $0, options: ["lr": 0.001]) }).isIdentical)
    }

    @Test func savedAndLoadedRunStillVerifies() throws {
        let c = try Self.run { try SGD(groups: $0, options: ["lr": 0.001, "momentum": 0.9]) }
        let path = NSTemporaryDirectory() + "ckpt-live-\(UUID().uuidString).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try CheckpointFile.save(c, to: path, durable: false)
        let command = try VerifyCommand.parse([path])
        let r = runCommand { try command.execute(console: $0, reader: .hdf5) }
        #expect(r.status == .success, "\(r.out)")
    }
}
