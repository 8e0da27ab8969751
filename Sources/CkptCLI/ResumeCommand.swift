import ArgumentParser
import Ckpt
import Foundation

/// `ckpt resume`: continue a run from a checkpoint, optionally proving it matches an
/// uninterrupted run.
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a run from a checkpoint, bit for bit.",
        discussion: """
            Uses only what the checkpoint holds: its config, model, optimizer, scheduler, \
            progress (epoch, step, batch within the epoch, lr and loss history) and random \
            state. The optimizer and scheduler are rebuilt and restored in PyTorch's documented \
            order (build the optimizer, build the scheduler, load the optimizer state, load the \
            scheduler state). Checkpoints are written as `ckpt train` writes them.

            With --verify, compares the finished run against REFERENCE, a checkpoint of an \
            uninterrupted run at the same point: the lr sequence step by step, then every model \
            and optimizer tensor bit for bit, then the scheduler state.

            Exit status: 0 done (and identical with --verify), 1 --verify found a difference, \
            2 bad usage or input, 130 interrupted by Ctrl-C, 143 by SIGTERM, 129 by SIGHUP (each after saving).
            """)

    @Argument(help: ArgumentHelp(
        "A checkpoint written by `ckpt train`, or a run directory (its newest checkpoint that loads).",
        valueName: "checkpoint|dir"))
    var checkpoint: String

    @Option(name: .long, help: ArgumentHelp("Directory for new checkpoints (default: the checkpoint's directory).", valueName: "dir"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("After the run, compare with this checkpoint of an uninterrupted run.", valueName: "reference"))
    var verify: String?

    @OptionGroup var training: TrainingOptions

    @Flag(name: .customLong("async-save"), help: "Write checkpoints in a background thread while training goes on (the config's \"checkpoint\": {\"async\": true}); the files are the same bits.")
    var asyncSave = false

    @Flag(name: .long, help: ArgumentHelp(
        "Print one JSON object at the end (the log goes to stderr).",
        discussion: "Keys: resumed_from, then those of `ckpt train --json`, and with --verify, verification: {identical, lr_steps, model_tensors, optimizer_tensors, divergence, lr_divergence: {step, group, value, reference} or null}."))
    var json = false

    init() {}

    func run() throws {
        try run { console in
            let ranks = try MPIJob.ranks()
            return try MPIJob.run("resume", ranks: ranks, console: console) { try resume(console, ranks: ranks) }
        }
    }

    private func resume(_ console: Console, ranks: RankGroup?) throws -> CommandStatus {
            training.apply()
            let epochs = training.epochs
            let say = sayer(console: console, json: json, ranks: ranks)
            let path = try Self.resolve(checkpoint)
            let run = try Run.restore(from: path, epochs: epochs)
            if let epochs, epochs < run.progress.epoch {
                throw RunError.file(path, "already \(run.progress.epoch) epochs complete; --epochs \(epochs) asks for fewer")
            }
            // Read the reference first: a bad REFERENCE is bad input (2) before any training.
            let reference = try verify.map { try CheckpointFile.load($0) }
            let p = run.progress
            var at = "epoch \(p.epoch) of \(run.config.epochs) complete, step \(p.globalStep)"
            if p.batch > 0 { at += " (\(p.batch) of \(run.batchesPerEpoch) batches into epoch \(p.epoch + 1))" }
            say("resuming \(path): \(at)")
            let directory = out ?? ((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
            try checkOutputDirectory(directory)
            var session = TrainingSession(run: run, directory: directory, json: json, console: console)
            session.asyncSave = asyncSave
            session.ranks = ranks
            var (outcome, report) = try session.execute(resumed: true, say: say)
            report = Self.prepending(["resumed_from": .string(path)], to: report)
            var status: CommandStatus = TrainingSession.status(outcome)
            // Every rank gathers (a collective call); rank 0 holds the whole state and compares.
            if let reference, let verify, outcome == .completed, case let state = try run.checkpointForSaving(), run.writesCheckpoints {
                let result = RunVerification.compare(state, reference: reference)
                say("verify against \(verify): \(result.summary)")
                report["verification"] = result.json
                if !result.identical { status = .failure }
            }
            if json && run.writesCheckpoints { console.printJSON(.dict(report)) }
            return status
    }

    /// A file as given; a directory as its newest checkpoint that loads.
    static func resolve(_ path: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw RunError.file(path, "no such file or directory")
        }
        guard isDir.boolValue else { return path }
        guard let newest = try CheckpointDirectory.newestValid(in: path) else {
            throw RunError.file(path, "no checkpoint here that loads (files named *.h5 written by `ckpt train`; those marked non-finite are skipped: give one by its path to resume it anyway)")
        }
        return newest
    }

    static func prepending(_ head: StateDict, to dict: StateDict) -> StateDict {
        var out = head
        for (k, v) in dict { out[k] = v }
        return out
    }
}
