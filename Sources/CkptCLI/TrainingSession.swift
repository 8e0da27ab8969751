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
    /// `--async-save`: write checkpoints in the background (else the config's `checkpoint.async`).
    var asyncSave = false
    /// The job's ranks under `mpirun` (`MPIJob`); nil: this process trains alone.
    var ranks: RankGroup?

    init(run: Run, directory: String, json: Bool, console: Console) {
        self.run = run
        self.directory = directory
        self.json = json
        self.console = console
    }

    /// Trains to `run.config.epochs`; returns the outcome and the report fields.
    mutating func execute(resumed: Bool, say: (String) -> Void) throws -> (Trainer.Outcome, StateDict) {
        if let ranks { run.distribute(over: ranks) }
        // One writer per run directory, for the whole run (a second one is refused: exit 2);
        // in a data-parallel job that is rank 0, and the other ranks print nothing.
        let lock = run.writesCheckpoints ? try RunDirectoryLock.acquire(directory, command: resumed ? "ckpt resume" : "ckpt train") : nil
        defer { lock?.release() }
        if run.writesCheckpoints { try RunDirectoryClaim.claim(directory, runID: run.runID, resumed: resumed) }
        let shown = run.writesCheckpoints ? console : Console.capture()
        let progress = TrainingProgress(console: shown, bar: json ? console.errorIsTerminal : console.isTerminal, quiet: json)
        var saved: [String] = []
        var last: (trainLoss: Double, testLoss: Double?, accuracy: Double?)?
        var epochs: [StateValue] = []
        var trainer = Trainer(
            directory: directory,
            onEvent: { [run, shown] event in
                if case .saved(let p) = event { saved.append(p) }
                if case .nonFinite(let message) = event, run.config.nonFinite == .continue {
                    shown.printError("warning: \(message); training continues (\"non_finite\": \"continue\"), and every later checkpoint is marked non-finite")
                }
                if case .epochEnd(let e, let l, let tl, let a, let lr) = event {
                    last = (l, tl, a)
                    epochs.append(.dict([
                        "epoch": .int(Int64(e)), "train_loss": .double(l),
                        "test_loss": tl.map { .double($0) } ?? .none, "test_accuracy": a.map { .double($0) } ?? .none,
                        "lr": .list(lr.map { .double($0) }),
                    ]))
                }
                if case .averagedEvaluation(_, let tl, let a) = event, case .dict(var d)? = epochs.last {
                    d["averaged_test_loss"] = .double(tl)
                    d["averaged_test_accuracy"] = .double(a)
                    epochs[epochs.count - 1] = .dict(d)
                }
                progress.handle(event, run: run)
            },
            // Every rank stops at the same batch: each sees the signal at its own time.
            shouldStop: { [run] in (try? run.anyRank(Interrupt.requested)) ?? true })
        if asyncSave { trainer.asyncSave = true }
        Interrupt.install()
        defer { Interrupt.uninstall() }
        let outcome = try trainer.train(run, resumed: resumed)
        progress.finish()
        self.saved = saved
        let svg = trainer.path("lr.svg")
        if run.writesCheckpoints { try LRCurve.write(run.progress, to: svg) }
        var report: StateDict = [
            "directory": .string(directory),
            "epoch": .int(Int64(run.progress.epoch)),
            "global_step": .int(Int64(run.progress.globalStep)),
            "batch": .int(Int64(run.progress.batch)),
            "checkpoints": .list(saved.map { .string($0) }),
            "lr_plot": .string(svg),
            "interrupted": .bool({ if case .interrupted = outcome { true } else { false } }()),
        ]
        report["non_finite"] = run.nonFinite.map { .string($0) } ?? StateValue.none
        report["train_loss"] = last.map { .double($0.trainLoss) } ?? StateValue.none
        report["test_loss"] = last?.testLoss.map { .double($0) } ?? StateValue.none
        report["test_accuracy"] = last?.accuracy.map { .double($0) } ?? StateValue.none
        report["epochs"] = .list(epochs)
        if let ranks {
            let perRank = try run.optimizerStateBytesPerRank()
            report["ranks"] = .int(Int64(ranks.size))
            report["optimizer_state_bytes_per_rank"] = .list(perRank.map { .int(Int64($0)) })
            let mib = perRank.map { String(format: "%.1f", Double($0) / 1_048_576) }.joined(separator: ", ")
            say("\(ranks.size) ranks; optimizer state per rank (MiB): \(mib)\(run.shardPlan == nil ? " (not sharded: LBFGS)" : "")")
        }
        switch outcome {
        case .completed:
            say("Finished Training: \(Format.count(run.progress.epoch, "epoch")), \(Format.count(run.progress.globalStep, "step")); lr curve in \(svg)")
        case .nonFinite(let path, let message):
            say("stopped: \(message); saved \(path), marked non-finite (`ckpt resume DIR` skips it). Lower the lr, or set \"non_finite\": \"continue\" in the config to train on")
        case .interrupted(let path):
            let by = Interrupt.signalName.map { " by \($0)" } ?? ""
            let line = "interrupted\(by) at epoch \(run.progress.epoch + 1), batch \(run.progress.batch): saved \(path); continue with `ckpt resume \(path)`"
            // With stdout closed, stderr is the only place left to say where the state went.
            if Interrupt.stdoutClosed && !json { console.printError(line) } else { say(line) }
        }
        return (outcome, report)
    }

    /// The exit status of a run's outcome: 0 done, 1 stopped at a non-finite loss, 128 + the
    /// signal's number when a signal stopped it. Stopped because stdout closed, the command
    /// ends here by SIGPIPE (after `execute` released the run directory), as `inspect | head` does.
    static func status(_ outcome: Trainer.Outcome) -> CommandStatus {
        switch outcome {
        case .completed: return .success
        case .nonFinite: return .failure
        case .interrupted where Interrupt.stdoutClosed: ParseIsolation.endAsSignaled(SIGPIPE)
        case .interrupted: return Interrupt.status
        }
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
        let optimizers = run.optimizers.map { "\($0.typeName), \(Format.count($0.paramGroups.count, "param group"))" }
        lines.append("model: \(model), \(Format.count(params, "parameter")); optimizer\(optimizers.count > 1 ? "s" : ""): \(optimizers.joined(separator: " + "))")
        if !run.frozen.isEmpty { lines.append("frozen: \(run.frozen.map(\.name).joined(separator: ", "))") }
        if let s = run.scheduler {
            lines.append("scheduler: \(s.typeName), stepped once per \(s.stepsPerBatch ? "batch" : "epoch"); \(Format.count(c.epochs, "epoch")) of \(Format.count(run.batchesPerEpoch, "batch"))")
        } else {
            lines.append("scheduler: none (constant lr); \(Format.count(c.epochs, "epoch")) of \(Format.count(run.batchesPerEpoch, "batch"))")
        }
        return lines
    }
}

/// Where human-readable lines go: stdout normally, stderr when stdout carries JSON.
func sayer(console: Console, json: Bool, ranks: RankGroup? = nil) -> (String) -> Void {
    if let ranks, ranks.rank != 0 { return { _ in } }
    return { text in json ? console.printError(text) : console.print(text) }
}

/// `--out` must be a directory or not exist yet (it is created at the first save), and be
/// writable (or its nearest existing parent, where it will be created), checked before any
/// training so a typo or a read-only mount does not cost an epoch.
func checkOutputDirectory(_ path: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
        throw RunError.file(path, "exists and is not a directory (--out takes a directory for the checkpoints)")
    }
    // A real probe, not access(2): root passes access checks on a read-only mount.
    var dir = path.isEmpty ? "." : path
    while !FileManager.default.fileExists(atPath: dir) {
        guard let slash = dir.lastIndex(of: "/") else { dir = "."; break }
        dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
    }
    var template = Array("\(dir)/.ckpt-write-check-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
        let why = String(cString: strerror(errno))
        throw RunError.file(path, dir == path ? "cannot be written (\(why)); give a writable --out directory"
                                               : "cannot be created in \(dir) (\(why)); give a writable --out directory")
    }
    close(fd)
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
}
