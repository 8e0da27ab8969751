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
            apart. The run config is compared key by key (metadata/config/epochs). created_at, \
            created_by and run_id are shown but never count, so a resumed run and an uninterrupted one \
            compare as identical; so are format and format_version when only one side is a ckpt \
            file (a.pt against a.h5). The same pair always prints the same text.

            A tensor whose bytes no longer match its stored checksum (damaged, or edited with \
            h5py) is compared as the file holds it now, and named in a warning on stderr (and \
            under "warnings" with --json); the rest of the file must verify.

            Exit status: 0 identical within tolerance; 1 differences found, or a tensor failed \
            its checksum; 2 bad usage or a missing, unreadable or non-checkpoint file.

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
        // Outlines: the trees now, each pair of tensors when the engine compares it.
        let x = try reader.checkpointOutline(a)
        let y = try reader.checkpointOutline(b)
        let diff: CheckpointDiff
        do {
            diff = try CheckpointDiff(x, y, options: DiffOptions(tolerance: Tolerance(atol: atol, rtol: rtol), exclude: exclude))
            // Tensors the comparison did not read (one side only, excluded) still count.
            try x.checkRemaining()
            try y.checkRemaining()
        } catch {
            let file = (error as? CheckpointError)?.file ?? a
            throw CLIError.reading(file, error)
        }
        let report = DiffReport(fileA: a, fileB: b, diff: diff)
        let warnings = (x.damaged + y.damaged).map(Self.damageWarning)
        if output.json {
            var json = report.json()
            if case .dict(var d) = json {
                d["warnings"] = .list(warnings.map { .string($0) })
                json = .dict(d)
            }
            console.printJSON(json)
        } else {
            for line in report.lines() { console.print(line) }
        }
        for w in warnings { console.printError("ckpt diff: warning: \(w)") }
        return diff.isIdentical && warnings.isEmpty ? .success : .failure
    }

    /// A tensor that failed its checksum, as a warning: the comparison used its bytes as stored.
    static func damageWarning(_ e: CheckpointError) -> String {
        guard case .checksumMismatch(let file, let path, let stored, let computed) = e else { return e.description }
        return "\(file): \(path): its stored checksum (\(stored)) does not match its bytes (\(computed)): "
            + "damaged, or edited without updating the checksum; compared as the file holds it now"
    }
}
