import ArgumentParser
import Ckpt
import Foundation

/// What `ckpt train` and `ckpt resume` share: run the trainer with progress display and
/// Ctrl-C handling, write `DIR/lr.svg`, and report (lines, or one JSON object with `--json`).
struct TrainingSession {
    let run: Run
    let directory: String
    let json: Bool
    let console: Console
    /// Files written, in order.
    private(set) var saved: [String] = []

    init(run: Run, directory: String, json: Bool, console: Console) {
        self.run = run
        self.directory = directory
        self.json = json
        self.console = console
    }

    /// Trains to `run.config.epochs`; returns the outcome and the report fields.
    mutating func execute(resumed: Bool, say: (String) -> Void) throws -> (Trainer.Outcome, StateDict) {
        // One writer per run directory, for the whole run (a second one is refused: exit 2).
        let lock = try RunDirectoryLock.acquire(directory, command: resumed ? "ckpt resume" : "ckpt train")
        defer { lock.release() }
        let progress = TrainingProgress(console: console, bar: json ? console.errorIsTerminal : console.isTerminal, quiet: json)
        var saved: [String] = []
        var last: (trainLoss: Double, testLoss: Double?, accuracy: Double?)?
        var epochs: [StateValue] = []
        let trainer = Trainer(
            directory: directory,
            onEvent: { [run] event in
                if case .saved(let p) = event { saved.append(p) }
                if case .epochEnd(let e, let l, let tl, let a, let lr) = event {
                    last = (l, tl, a)
                    epochs.append(.dict([
                        "epoch": .int(Int64(e)), "train_loss": .double(l),
                        "test_loss": tl.map { .double($0) } ?? .none, "test_accuracy": a.map { .double($0) } ?? .none,
                        "lr": .list(lr.map { .double($0) }),
                    ]))
                }
                progress.handle(event, run: run)
            },
            shouldStop: { Interrupt.requested })
        Interrupt.install()
        defer { signal(SIGINT, SIG_DFL) }
        let outcome = try trainer.train(run, resumed: resumed)
        progress.finish()
        self.saved = saved
        let svg = trainer.path("lr.svg")
        try LRCurve.write(run.progress, to: svg)
        var report: StateDict = [
            "directory": .string(directory),
            "epoch": .int(Int64(run.progress.epoch)),
            "global_step": .int(Int64(run.progress.globalStep)),
            "batch": .int(Int64(run.progress.batch)),
            "checkpoints": .list(saved.map { .string($0) }),
            "lr_plot": .string(svg),
            "interrupted": .bool(outcome != .completed),
        ]
        report["train_loss"] = last.map { .double($0.trainLoss) } ?? StateValue.none
        report["test_loss"] = last?.testLoss.map { .double($0) } ?? StateValue.none
        report["test_accuracy"] = last?.accuracy.map { .double($0) } ?? StateValue.none
        report["epochs"] = .list(epochs)
        switch outcome {
        case .completed:
            say("Finished Training: \(Format.count(run.progress.epoch, "epoch")), \(Format.count(run.progress.globalStep, "step")); lr curve in \(svg)")
        case .interrupted(let path):
            say("interrupted at epoch \(run.progress.epoch + 1), batch \(run.progress.batch): saved \(path); continue with `ckpt resume \(path)`")
        }
        return (outcome, report)
    }

    /// One-line descriptions of the run for the log.
    static func describe(_ run: Run) -> [String] {
        let c = run.config
        var lines: [String] = []
        var data = "data: \(run.trainData.source)"
        if run.samplesPerEpoch < run.trainData.count { data += ", the first \(run.samplesPerEpoch) used" }
        data += run.testData.map { ", " + Format.count($0.count, "test image") } ?? ", no test set"
        lines.append(data + "; batch size \(c.data.batchSize)\(c.data.shuffle ? ", shuffled" : "")")
        let params = run.model.parameters.reduce(0) { $0 + $1.value.count }
        let model = c.model.type == .mlp ? "mlp \(c.model.sizes.map(String.init).joined(separator: "-"))" : "lenet"
        lines.append("model: \(model), \(Format.count(params, "parameter")); optimizer: \(run.optimizer.typeName), \(Format.count(run.optimizer.paramGroups.count, "param group"))")
        if let s = run.scheduler {
            lines.append("scheduler: \(s.typeName), stepped once per \(s.stepsPerBatch ? "batch" : "epoch"); \(Format.count(c.epochs, "epoch")) of \(Format.count(run.batchesPerEpoch, "batch"))")
        } else {
            lines.append("scheduler: none (constant lr); \(Format.count(c.epochs, "epoch")) of \(Format.count(run.batchesPerEpoch, "batch"))")
        }
        return lines
    }
}

/// Where human-readable lines go: stdout normally, stderr when stdout carries JSON.
func sayer(console: Console, json: Bool) -> (String) -> Void {
    { text in json ? console.printError(text) : console.print(text) }
}

/// `--out` must be a directory or not exist yet (it is created at the first save), checked
/// before any training so a typo does not cost an epoch.
func checkOutputDirectory(_ path: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
        throw RunError.file(path, "exists and is not a directory (--out takes a directory for the checkpoints)")
    }
}
