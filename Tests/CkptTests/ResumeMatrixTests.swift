import Foundation
import Testing
@testable import Ckpt

/// Resume exactness across optimizers, param groups and schedulers (per epoch and per step,
/// composites whose constructors change the lr, ReduceLROnPlateau fed the test loss).
@Suite struct ResumeMatrixTests {
    static func config(optimizer: String, scheduler: String) -> String {
        """
        {"model": {"type": "mlp", "sizes": [3072, 6, 10]},
         "data": {"dataset": "synthetic", "train_size": 30, "test_size": 12, "batch_size": 8},
         "optimizer": \(optimizer), "scheduler": \(scheduler), "epochs": 3, "seed": 3}
        """
    }

    static let cases: [(String, String)] = [
        (#"{"type": "Adam", "lr": 0.01, "param_groups": [{"params": ["net.1.*"], "lr": 0.02}, {"params": ["net.3.*"]}]}"#,
         #"{"type": "OneCycleLR", "max_lr": [0.05, 0.03], "total_steps": 12, "interval": "step"}"#),
        (#"{"type": "SGD", "lr": 0.05, "momentum": 0.9, "nesterov": true}"#,
         #"{"type": "SequentialLR", "schedulers": [{"type": "LinearLR", "start_factor": 0.5, "total_iters": 2}, {"type": "ExponentialLR", "gamma": 0.7}], "milestones": [2]}"#),
        (#"{"type": "RMSprop", "lr": 0.001, "centered": true, "momentum": 0.5}"#,
         #"{"type": "ReduceLROnPlateau", "patience": 0, "factor": 0.5, "threshold": 0.5}"#),
        (#"{"type": "AdamW", "lr": 0.003, "amsgrad": true}"#,
         #"{"type": "CosineAnnealingWarmRestarts", "T_0": 2, "interval": "step"}"#),
        (#"{"type": "Adagrad", "lr": 0.05}"#, "null"),
        (#"{"type": "SGD", "lr": 0.1, "momentum": 0}"#,
         #"{"type": "ChainedScheduler", "schedulers": [{"type": "ConstantLR", "factor": 0.5, "total_iters": 2}, {"type": "StepLR", "step_size": 1, "gamma": 0.9}]}"#),
        (#"{"type": "Adamax", "lr": 0.01, "weight_decay": 0.01}"#, #"{"type": "StepLR", "step_size": 1, "gamma": 0.5}"#),
        (#"{"type": "NAdam", "lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": true}"#,
         #"{"type": "CosineAnnealingLR", "T_max": 3}"#),
        (#"{"type": "RAdam", "lr": 0.01, "betas": [0.9, 0.9]}"#,
         #"{"type": "LinearLR", "start_factor": 0.5, "total_iters": 6, "interval": "step"}"#),
        (#"{"type": "Adadelta", "rho": 0.8, "maximize": false}"#, #"{"type": "ExponentialLR", "gamma": 0.8}"#),
        (#"{"type": "ASGD", "lr": 0.05, "t0": 3}"#, "null"),
        (#"{"type": "Rprop", "lr": 0.001, "etas": [0.4, 1.3]}"#, #"{"type": "MultiStepLR", "milestones": [1, 2]}"#),
        (#"{"type": "Adafactor", "lr": 0.01, "weight_decay": 0.01}"#, "null"),
    ]

    @Test(arguments: cases)
    func resumeFromEpochAndStepCheckpointsIsBitIdentical(optimizer: String, scheduler: String) throws {
        let config = try RunConfig(json: Self.config(optimizer: optimizer, scheduler: scheduler))
        let reference = try Run(config: config)
        try RunResumeTests.train(reference)
        #expect(reference.progress.globalStep == 12)
        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for stop in [2, 4, 9] {  // mid-epoch 1, the epoch 1/2 boundary, mid-epoch 3
            let first = try Run(config: config)
            try RunResumeTests.train(first, stopAfter: stop)
            let path = dir + "/step-\(stop).h5"
            try first.save(to: path)
            let resumed = try Run.restore(from: path)
            try RunResumeTests.train(resumed)
            let v = RunVerification.compare(resumed.checkpoint(), reference: reference.checkpoint())
            #expect(v.identical, "stop after \(stop): \(v.summary)")
        }
    }
}
