// A custom loop over a network defined in Swift: saves every epoch, resumes from the newest.
// Usage: custom-loop [DIR] [EPOCHS]   (the README shows this file; the tests run it)
import Ckpt

let args = CommandLine.arguments, dir = args.count > 1 ? args[1] : "runs/custom-loop"

// The model, optimizer and scheduler, built the same way on every start (as in PyTorch).
var g = RandomGenerator(seed: 0, stream: .initialisation)
let model = Sequential([
    ("flatten", Flatten()),
    ("fc1", Linear(3072, 32, generator: &g)),
    ("relu", ReLU()),
    ("fc2", Linear(32, 10, generator: &g)),
])
let optimizer = try SGD(model.parameters(), lr: 0.01, momentum: 0.9)
let scheduler = RunScheduler(try ExponentialLR(optimizer: optimizer, gamma: PyNumber(0.8)))
let (train, test) = Synthetic.make(trainSize: 256, testSize: 128, seed: 0)
var settings = RunConfig()  // the loop's settings: batch size, seed, epochs
(settings.data.batchSize, settings.epochs) = (16, args.count > 2 ? Int(args[2]) ?? 4 : 4)
let run = try Run(model: model, optimizer: optimizer, scheduler: scheduler, train: train, test: test, config: settings)

// Continue from the newest checkpoint that loads, or start fresh.
if let newest = try CheckpointDirectory.newestValid(in: dir, requiringConfig: false) { try run.restore(from: newest) }
print("starting at epoch \(run.progress.epoch + 1) of \(run.config.epochs)")
while run.progress.epoch < run.config.epochs {
    for batch in run.remainingBatches() {  // this epoch's order, minus batches already done
        run.optimizer.zeroGrad()
        let loss = try run.model.forwardBackward(batch)  // forward, loss, backward
        try run.optimizer.step()
        run.recordStep(loss: loss)  // the lr each group used, and the loss
    }
    let result = try run.evaluate()
    try run.endEpoch(metric: result?.loss)  // scheduler.step(), then epoch += 1
    try run.save(to: "\(dir)/epoch-\(run.progress.epoch).h5")
    print("epoch \(run.progress.epoch): test accuracy \(result.map { "\(Int($0.accuracy * 100)) %" } ?? "-")")
}
