import ArgumentParser
import CkptCore
import CkptFormat

/// `ckpt diff A B`: a checkpoint-aware comparison with numpy-style tolerances.
public struct DiffCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two checkpoints tensor by tensor, hyperparameter by hyperparameter.",
        discussion: """
            Reports tensors only in A or only in B, shape and dtype differences (these are \
            differences, unlike h5diff), and for each differing tensor the number of differing \
            elements, the max absolute and max relative difference (|a-b|/|b|, B is the \
            reference), NaN and Inf mismatches, and the first differing element. Param-group \
            hyperparameters and scheduler keys are shown side by side (* marks a difference); \
            progress counters and the lr and loss histories are compared step by step (the \
            first differing step, its group and both values).

            By default the comparison is exact by value: 0.0 equals -0.0, and NaN equals NaN at \
            the same position. --atol and --rtol allow differences as numpy.isclose does: \
            |a - b| <= atol + rtol * |b|; infinities only equal the same infinity. Ints, bools \
            and strings always compare exactly; int 0 and float 0.0 differ, as PyTorch keeps them \
            apart. The run config is compared key by key (metadata/config/epochs). created_at and \
            created_by are shown but never count, so a resumed run and an uninterrupted one \
            compare as identical. The same pair always prints the same text.

            Exit status: 0 identical within tolerance; 1 differences found; 2 bad usage or a \
            missing, unreadable or non-checkpoint file.

            Examples:
              ckpt diff runs/a/epoch-10.h5 runs/b/epoch-10.h5
              ckpt diff a.h5 b.h5 --atol 1e-6 --rtol 1e-5
              ckpt diff a.h5 b.h5 --exclude rng --exclude optimizer/state --json
              ckpt diff resumed.h5 straight.h5 --exclude metadata/config/epochs
            """)

    @Argument(help: "The first checkpoint.")
    public var a: String

    @Argument(help: "The second checkpoint (the reference for relative differences).")
    public var b: String

    @Option(help: ArgumentHelp("Absolute tolerance; 0 compares exactly.", valueName: "x"))
    public var atol: Double = 0

    @Option(help: ArgumentHelp("Relative tolerance, times |B|; 0 compares exactly.", valueName: "y"))
    public var rtol: Double = 0

    @Option(help: ArgumentHelp("Leave out a section, subtree or entry (repeatable), e.g. rng, optimizer/state, model/fc3.bias.", valueName: "path"))
    public var exclude: [String] = []

    @OptionGroup public var output: JSONOption

    public init() {}

    public func validate() throws {
        for (name, value) in [("--atol", atol), ("--rtol", rtol)] where !(value >= 0 && value.isFinite) {
            throw ValidationError("\(name) must be a finite number >= 0, got \(value)")
        }
    }

    public func run() throws {
        if let status = ParseIsolation.runInChild(command: "diff", files: [a, b]) { throw ExitCode(status) }
        try run { try execute(console: $0, reader: .hdf5) }
    }

    func execute(console: Console, reader: FileReader) throws -> CommandStatus {
        do { try validate() } catch let e as ValidationError { throw CLIError(e.message) }
        let x = try reader.checkpoint(a), y = try reader.checkpoint(b)
        let diff = CheckpointDiff(x, y, options: DiffOptions(tolerance: Tolerance(atol: atol, rtol: rtol), exclude: exclude))
        let report = DiffReport(fileA: a, fileB: b, diff: diff)
        if output.json {
            console.printJSON(report.json())
        } else {
            for line in report.lines() { console.print(line) }
        }
        return diff.isIdentical ? .success : .failure
    }
}
