// A custom training loop that saves every epoch and resumes: run it, stop it, run it again.
// Usage: custom-loop [DIR] [EPOCHS]   (the README shows this file; the tests run it)
import Ckpt

let args = CommandLine.arguments
let dir = args.count > 1 ? args[1] : "runs/custom-loop"
var config = try RunConfig(json: """
    {"model": {"type": "mlp", "sizes": [3072, 32, 10]},
     "data": {"dataset": "synthetic", "train_size": 256, "test_size": 128, "batch_size": 16},
     "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9},
     "scheduler": {"type": "ExponentialLR", "gamma": 0.8}, "epochs": 4}
    """)
if args.count > 2, let epochs = Int(args[2]) { config.epochs = epochs }

// Continue from the newest checkpoint that loads, or start fresh.
let run = try CheckpointDirectory.newestValid(in: dir).map { try Run.restoreRun(from: $0, epochs: config.epochs) }
    ?? Run(config: config)
print("starting at epoch \(run.progress.epoch + 1) of \(run.config.epochs)")
while run.progress.epoch < run.config.epochs {
    for batch in run.remainingBatches() {  // this epoch's order, minus batches already done
        run.optimizer.zeroGrad()
        let loss = try run.model.forwardBackward(batch)  // forward, loss, backward
        try run.optimizer.step()
        run.recordStep(loss: loss)  // the lr each group used, and the loss
    }
    let test = try run.evaluate()
    try run.endEpoch(metric: test?.loss)  // scheduler.step(), then epoch += 1
    try run.saveRun(to: "\(dir)/epoch-\(run.progress.epoch).h5")
    print("epoch \(run.progress.epoch): test accuracy \(test.map { "\(Int($0.accuracy * 100)) %" } ?? "-")")
}
