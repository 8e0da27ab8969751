import Foundation
import Testing
@testable import Ckpt

/// A run config can select LBFGS: `trainStep` hands it a closure that re-evaluates the loss on
/// the same batch (PyTorch's recipe), the loss recorded is the closure's first, and a run
/// saved mid-way (LBFGS's lists of tensors, None entries, ints and floats in the checkpoint)
/// resumes bit for bit.
@Suite struct LBFGSRunTests {
    static let configText = """
        {"model": {"type": "mlp", "sizes": [3072, 8, 10]},
         "data": {"dataset": "synthetic", "train_size": 40, "test_size": 16, "batch_size": 8},
         "optimizer": {"type": "LBFGS", "lr": 0.1, "max_iter": 3, "history_size": 4,
                       "line_search_fn": "strong_wolfe"},
         "epochs": 2}
        """

    @Test(arguments: [2, 5, 7])
    func resumesBitForBit(stopAfter: Int) throws {
        let config = try RunConfig(json: Self.configText)
        let reference = try Run(config: config)
        try RunResumeTests.train(reference)
        #expect(reference.progress.globalStep == 10)
        let evals = reference.optimizer.state.values.first?["func_evals"]?.intValue ?? 0
        #expect(evals > 10, "LBFGS re-evaluated the loss (\(evals) closure calls for 10 steps)")

        let dir = RunResumeTests.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Run(config: config)
        try RunResumeTests.train(first, stopAfter: stopAfter)
        let path = dir + "/step-\(stopAfter).h5"
        try first.save(to: path)
        let resumed = try Run.restore(from: path)
        try RunResumeTests.train(resumed)
        let v = RunVerification.compare(resumed.checkpoint(), reference: reference.checkpoint())
        #expect(v.identical, "\(v.summary)")
    }
}
