import ArgumentParser
import CkptCore
import CkptFormat

/// `ckpt inspect FILE [PATH] [--stats] [--json]`: what a checkpoint (or any HDF5 file) holds.
public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a checkpoint or any HDF5 file holds.",
        discussion: """
            For a ckpt checkpoint (root attribute format = "ckpt"): the format version and \
            creation facts, the run's config, a tree of model tensors (name, dtype, shape, \
            size), the optimizer (type, a table of param groups and their hyperparameters, \
            the state held per parameter), the scheduler (type, last_epoch, last lrs and its \
            own keys), progress (epoch, global step) and the lr and loss histories as small \
            charts.

            For any other HDF5 file (h5py, Keras, ...): every group and dataset with its \
            shape, type and attributes, like `h5ls -r -v`, with the values of small attributes. \
            For a .safetensors file: its __metadata__ and its tensors as a model section \
            (PATH model/NAME); a file that is not sound is refused naming the header field or \
            byte offset at fault.

            PATH narrows the output to one section, group or dataset: `model`, \
            `model/conv1.weight`, `optimizer/param_groups/0`, `scheduler`. A tensor's values \
            are printed when it has at most 16 elements.

            --stats adds min, max, mean, std (PyTorch's default, unbiased) and NaN/Inf counts \
            per tensor, computed in double precision over the finite elements.

            A checkpoint whose tensor data is damaged (checksums that no longer match, while \
            the rest of the file verifies) is still shown; each damaged tensor is named on \
            stderr (and under "damaged_tensors" with --json) and the exit status is 1.

            Exit status: 0 success; 1 shown, but some tensors fail their checksum; 2 bad \
            usage, a missing or unreadable file, or a PATH the file does not hold.

            Examples:
              ckpt inspect runs/default/epoch-20.h5
              ckpt inspect runs/default/epoch-20.h5 model --stats
              ckpt inspect runs/default/epoch-20.h5 optimizer/param_groups/0 --json
              ckpt inspect runs/default/epoch-20.h5 model/conv1.weight --tree
              ckpt inspect weights_from_h5py.h5
            """)

    @Argument(help: "The checkpoint, HDF5 or .safetensors file.")
    public var file: String

    @Argument(help: "A section, group or dataset inside the file (for example model/fc3.bias).")
    public var path: String?

    @Flag(help: "Add min, max, mean, std and NaN/Inf counts for every tensor shown.")
    public var stats = false

    @Flag(help: "Show the raw HDF5 tree (groups, datasets, attributes such as checksums) even for a checkpoint.")
    public var tree = false

    @OptionGroup public var output: JSONOption

    public init() {}

    public func run() throws {
        if let status = ParseIsolation.runInChild(command: "inspect", files: [file]) { throw ExitCode(status) }
        try run { try execute(console: $0, reader: .hdf5) }
    }

    /// Writes the report to `console`; throws `CLIError` for bad input.
    func execute(console: Console, reader: FileReader) throws -> CommandStatus {
        try FileReader.requireReadableFile(file)
        let parts = (path ?? "").split(separator: "/").map(String.init)
        if SafetensorsReport.recognises(file) { return try safetensors(parts, console: console) }
        let isCheckpoint: Bool
        do { isCheckpoint = try reader.isCheckpoint(file) } catch { throw CLIError.reading(file, error) }
        let part: CheckpointReport.Part
        var damaged: [CheckpointError] = []
        if isCheckpoint && !tree {
            let outline: CheckpointOutline
            do { outline = try reader.outline(file) } catch { throw CLIError.reading(file, error) }
            var report = CheckpointReport(file: file, checkpoint: outline.checkpoint, stats: stats,
                                          chartWidth: console.isTerminal ? 48 : 40)
            do {
                if stats { report.statistics = try Self.statistics(of: report.tensorsShown(parts), in: outline) }
                // Every tensor's checksum, streamed, so damage is named whatever was shown.
                try outline.checkRemaining()
            } catch {
                throw CLIError.reading(file, error)
            }
            damaged = outline.damaged
            if parts.isEmpty {
                part = report.full()
            } else if parts.count == 1, let section = report.section(parts[0]) {
                part = section
            } else if let value = report.value(at: parts) {
                part = report.entry(value, path: parts.joined(separator: "/"))
            } else {
                throw notFound(parts)
            }
        } else {
            let root: FileTreeNode
            do { root = try reader.tree(file) } catch { throw CLIError.reading(file, error) }
            guard let node = root.find(parts.joined(separator: "/")) else { throw notFound(parts) }
            let report = FileTreeReport(file: file, root: node)
            part = CheckpointReport.Part(json: report.json(), lines: report.lines())
        }
        if output.json {
            var json = part.json
            if !damaged.isEmpty, case .dict(var d) = json {
                d["damaged_tensors"] = .list(damaged.compactMap(\.path).map { .string($0) })
                json = .dict(d)
            }
            console.printJSON(json)
        } else {
            for line in part.lines { console.print(line) }
        }
        // A damaged tensor is shown with what the file holds now; say so, and which ones.
        for e in damaged { console.printError("ckpt inspect: warning: \(e); the values shown are what the file holds now, not what was saved") }
        return damaged.isEmpty ? .success : .failure
    }

    /// A safetensors file (`SafetensorsReport`): its metadata and tensors.
    private func safetensors(_ parts: [String], console: Console) throws -> CommandStatus {
        var report: SafetensorsReport
        do {
            report = try SafetensorsReport(file: file, stats: stats, chartWidth: console.isTerminal ? 48 : 40)
            if stats { report.report.statistics = try Self.statistics(of: report.report.tensorsShown(parts), in: report.outline) }
        } catch {
            throw CLIError.reading(file, error)
        }
        guard let part = report.part(parts) else { throw notFound(parts) }
        if output.json { console.printJSON(part.json) } else { for line in part.lines { console.print(line) } }
        return .success
    }

    /// Statistics of the tensors at `paths`, reading one tensor at a time.
    static func statistics(of paths: [(path: String, tensor: TensorData)], in outline: CheckpointOutline) throws -> [String: TensorStatistics] {
        var out: [String: TensorStatistics] = [:]
        for (path, t) in paths {
            out[path] = try outline.withBytes(of: t, at: path) {
                TensorStatistics(bytes: $0, dtype: t.dtype, count: CheckpointOutline.elementCount(t))
            }
        }
        return out
    }

    private func notFound(_ parts: [String]) -> CLIError {
        CLIError.file(file, path: "/" + parts.joined(separator: "/"),
                      "no such group or dataset; run 'ckpt inspect \(file)' to list what it holds")
    }
}
