import ArgumentParser
import CkptCore
import CkptFormat
import Foundation

/// `ckpt plot FILE [--out FILE.svg]`: the lr (per param group) and loss curves of a run.
public struct PlotCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw a checkpoint's lr and loss history as an SVG chart.",
        discussion: """
            Reads progress/lr (the lr each optimizer step used, one curve per param group) and \
            progress/loss from the checkpoint and writes one SVG file with two charts, each \
            with axes, ticks, labels and a title, that any browser shows. Optimizer steps are \
            numbered from 1 (step k used the k-th value), as in the lr.svg that ckpt train \
            writes and in ckpt diff. For the lr curve a \
            config would give before training, use 'ckpt schedule --plot'.

            Exit status: 0 the chart was written; 2 bad usage, a missing or unreadable file, a \
            file that is not a checkpoint or holds no history, or an output that cannot be \
            written.

            Examples:
              ckpt plot runs/default/epoch-20.h5                  (writes runs/default/epoch-20.svg)
              ckpt plot runs/default/epoch-20.h5 --out lr.svg
              ckpt plot runs/default/epoch-20.h5 --out - > lr.svg
            """)

    @Argument(help: "The checkpoint.")
    public var file: String

    @Option(help: ArgumentHelp("Where to write the SVG (- for stdout; default: FILE with the extension .svg).", valueName: "file.svg"))
    public var out: String?

    @OptionGroup public var output: JSONOption

    public init() {}

    public func run() throws {
        // Reading the file may parse untrusted HDF5 metadata: contained as inspect's is.
        if let status = ParseIsolation.runInChild(command: "plot", files: [file]) { throw ExitCode(status) }
        try run { try execute(console: $0, reader: .hdf5) }
    }

    /// The output path: `--out`, or FILE with its extension replaced by `.svg`.
    var outputPath: String {
        if let out { return out }
        let url = URL(fileURLWithPath: file)
        return url.pathExtension.isEmpty ? file + ".svg" : url.deletingPathExtension().path + ".svg"
    }

    func execute(console: Console, reader: FileReader) throws -> CommandStatus {
        let checkpoint = try reader.checkpoint(file)
        let history = try PlotHistory(checkpoint: checkpoint, file: file)
        let svg = PlotSVG.render(history, title: URL(fileURLWithPath: file).lastPathComponent)
        let target = outputPath
        if target != "-" { try OutputTarget.refuseReplacingCheckpoint(target, with: "an SVG chart", forceOption: nil) }
        if target == "-" {
            console.write(svg)
        } else {
            do {
                try AtomicFile.write(svg, to: target)
            } catch let e as CheckpointError {
                throw CLIError.file(target, "cannot write the chart (\(e.failureWithoutFile)); check the directory exists and is writable")
            }
        }
        if output.json {
            let facts: StateDict = [
                "file": .string(file), "out": .string(target),
                "steps": .int(Int64(history.steps)), "groups": .int(Int64(history.lr.count)),
                "lr": .list(history.lr.map { .dict(["first": $0.first.map { .double($0) } ?? .none, "last": $0.last.map { .double($0) } ?? .none]) }),
                "loss": .dict(["first": history.loss.first.map { .double($0) } ?? .none, "last": history.loss.last.map { .double($0) } ?? .none]),
            ]
            console.printJSON(.dict(facts), onStderr: target == "-")
        } else if target != "-" {
            console.print("wrote \(target): lr for \(Format.count(history.lr.count, "param group")) and loss over \(Format.count(history.steps, "step"))")
        }
        return .success
    }
}

/// The history `ckpt plot` draws: `/progress` as its one parser reads it, with an lr history
/// of at least one param group.
struct PlotHistory {
    var progress: RunProgress
    /// The lr of each param group per step (`StepSeries.lrColumns`).
    var lr: [[Double]] { StepSeries.lrColumns(progress) }
    var loss: [Double] { progress.lossHistory.map(Double.init) }
    var steps: Int { progress.globalStep }

    init(checkpoint: Checkpoint, file: String) throws {
        guard let p = checkpoint.progress else {
            throw CLIError.file(file, path: "/progress/lr", "no lr history to plot (a checkpoint written by 'ckpt train' holds one)")
        }
        do {
            progress = try RunProgress(stateDict: p)
        } catch let e as StateDictError {
            throw CLIError.file(file, path: "/" + e.key, e.message)
        }
        guard let groups = progress.groups, groups > 0 else {
            throw CLIError.file(file, path: "/progress/lr", "the history is empty (no optimizer step taken yet)")
        }
    }
}
