import ArgumentParser
import Ckpt
import Foundation

/// `ckpt train`: the seed's training run, checkpointed after every epoch.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network and write a checkpoint after every epoch.",
        discussion: """
            Without a config this is the seed's run: LeNet, SGD(lr 0.001, momentum 0.9), \
            ExponentialLR(gamma 0.9) stepped per epoch, 20 epochs at batch size 4, on CIFAR-10 \
            when its binaries are in ./CIFAR10, else on the embedded synthetic data (it says \
            which). Any key a config leaves out takes the seed's value (docs/CONFIG.md).

            Writes DIR/epoch-<N>.h5 after epoch N's scheduler step (the exact state epoch N+1 \
            starts from), DIR/step-<global_step>.h5 every checkpoint.every_steps steps, and \
            DIR/lr.svg at the end. Ctrl-C, SIGTERM or SIGHUP saves the current state as DIR/step-<global_step>.h5 \
            at the next batch boundary and exits with status 130, 143 or 129; `ckpt resume` continues it \
            exactly. A second signal exits without saving.

            Exit status: 0 done, 2 bad usage or input (nothing is written), 130 interrupted by Ctrl-C, 143 by SIGTERM, 129 by SIGHUP (each after saving).
            """)

    @Option(name: .long, help: ArgumentHelp("Run config, a JSON file (docs/CONFIG.md).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Directory for the checkpoints and lr.svg.", valueName: "dir"))
    var out = "runs/default"

    @Option(name: .customLong("init-from"), help: ArgumentHelp(
        "Start from the model weights in a checkpoint, or in any HDF5 file whose /model group holds one dataset per parameter (loaded strictly).",
        valueName: "file"))
    var initFrom: String?

    @OptionGroup var training: TrainingOptions

    @Flag(name: .customLong("async-save"), help: "Write checkpoints in a background thread while training goes on (the config's \"checkpoint\": {\"async\": true}); the files are the same bits.")
    var asyncSave = false

    @Flag(name: .long, help: ArgumentHelp(
        "Print one JSON object at the end (the log goes to stderr).",
        discussion: "Keys: directory, epoch, global_step, batch, checkpoints (paths written, in order), lr_plot, interrupted, train_loss, test_loss, test_accuracy (of the last epoch; null when none ran or there is no test set), epochs (one object per epoch run: epoch, train_loss, test_loss, test_accuracy, lr after its scheduler step). NaN and ±Infinity (a diverged loss) are the strings \"NaN\", \"Infinity\", \"-Infinity\"."))
    var json = false

    init() {}

    func run() throws {
        try run { console in
            let ranks = try MPIJob.ranks()
            return try MPIJob.run("train", ranks: ranks, console: console) { try train(console, ranks: ranks) }
        }
    }

    private func train(_ console: Console, ranks: RankGroup?) throws -> CommandStatus {
            training.apply()
            var cfg = try config.map { try RunConfig(contentsOf: $0) } ?? RunConfig()
            if let epochs = training.epochs { cfg.epochs = epochs }
            let say = sayer(console: console, json: json, ranks: ranks)
            try checkOutputDirectory(out)
            let run: Run
            do {
                run = try Run(config: cfg)
            } catch var e as StateDictError where config != nil && e.file == nil {
                // The optimizer and scheduler sections are checked while building: name the file too.
                e.file = config
                throw e
            } catch let e where config != nil && (e is OptimizerError || e is SchedulerError || e is RunError) {
                if case RunError.file = e { throw e }
                throw RunError.file(config!, CommandRunner.message(for: e))
            }
            if cfg.data.datasetIsDefault, run.config.data.dataset == .synthetic {
                say("no CIFAR-10 binaries under \(cfg.data.root): training on the embedded synthetic data")
            }
            if let initFrom {
                try run.loadModelWeights(from: initFrom)
                say("initial weights from \(initFrom)")
            }
            TrainingSession.describe(run).forEach(say)
            var session = TrainingSession(run: run, directory: out, json: json, console: console)
            session.asyncSave = asyncSave
            session.ranks = ranks
            let (outcome, report) = try session.execute(resumed: false, say: say)
            if json && run.writesCheckpoints { console.printJSON(.dict(report)) }
            return TrainingSession.status(outcome)
    }
}
