import ArgumentParser
import CkptCore
import CkptFormat
import Ckpt

/// `ckpt verify FILE...`: integrity and structure of checkpoints, without training.
public struct VerifyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that checkpoints are intact and internally consistent.",
        discussion: """
            For every file: the format and its version, the checksum of every tensor (each \
            dataset's stored checksum against its bytes), and the structure of the optimizer \
            and scheduler against each other and the model: state indices within the param \
            groups' params, each state tensor's shape and dtype equal to its parameter's \
            (found through param_names), every parameter in exactly one group, the scheduler's \
            base_lrs and _last_lr with one entry per param group, and the progress histories \
            with one row per optimizer step. A torch.save .pt file: the zip structure and every \
            entry's CRC-32 in place of the format and checksums, then the same checks (param \
            indices matched to model tensors in model order, as model.parameters() numbers them). \
            A checkpoint directory (PyTorch DCP, Hugging Face Trainer; docs/DCP.md): every chunk \
            and shard read within its file and assembled, then the same checks. In a file not marked non-finite, every \
            floating-point tensor is scanned for NaN and infinity in the same read; each one \
            holding any is a warning (the exit status stays 0).

            Each problem is printed on its own line as FILE: PATH: what is wrong.

            Exit status: 0 every file is sound; 1 some file has a problem (corrupted, not a \
            checkpoint, or inconsistent); 2 bad usage, or a file that does not exist or cannot \
            be read.

            Examples:
              ckpt verify runs/default/epoch-20.h5
              ckpt verify runs/default/*.h5 --json
            """)

    @Argument(help: "The checkpoint files to verify.")
    public var files: [String]

    @OptionGroup public var output: JSONOption

    public init() {}

    public func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one checkpoint file") }
    }

    public func run() throws {
        if let status = ParseIsolation.runInChild(command: "verify", files: files) { throw ExitCode(status) }
        try run { try execute(console: $0, reader: .hdf5) }
    }

    /// One file's outcome.
    struct Outcome {
        var file: String
        /// A missing or unreadable file (exit status 2), as one line.
        var inputError: String?
        var problems: [VerifyProblem] = []
        /// What is sound but worth knowing (exit status stays 0): a state marked non-finite, NaN
        /// or infinity in a file not marked so, no manifest.
        var warnings: [String] = []
        var tensors = 0
        var summary = ""
    }

    func execute(console: Console, reader: FileReader) throws -> CommandStatus {
        if files.isEmpty { throw CLIError("give at least one checkpoint file") }
        let outcomes = files.map { verify($0, reader: reader) }
        // Missing or unreadable files: one line each on stderr, in text and JSON modes alike.
        for o in outcomes { if let e = o.inputError { console.printError("ckpt verify: \(e)") } }
        if output.json {
            console.printJSON(json(outcomes))
        } else {
            for o in outcomes {
                if o.inputError != nil {
                    continue
                } else if o.problems.isEmpty {
                    console.print("\(o.file): ok (\(o.summary))")
                    for w in o.warnings { console.print("  \(o.file): warning: \(w)") }
                } else {
                    console.print("\(o.file): \(Format.count(o.problems.count, "problem"))")
                    for p in o.problems { console.print("  \(o.file): \(p.path): \(p.message)") }
                }
            }
        }
        if outcomes.contains(where: { $0.inputError != nil }) { return .badInput }
        return outcomes.allSatisfy { $0.problems.isEmpty } ? .success : .failure
    }

    private func verify(_ file: String, reader: FileReader) -> Outcome {
        var o = Outcome(file: file)
        do { try FileReader.requireReadableFile(file) } catch {
            o.inputError = CLIError.reading(file, error).message
            return o
        }
        let checkpoint: Checkpoint
        var damaged: [CheckpointError] = []
        var integrity = FormatIntegrity.native
        var nonFinite: [(path: String, count: NonFiniteCount)] = []
        do {
            guard try reader.isCheckpoint(file) else {
                o.problems = [VerifyProblem(path: "/", message: "not a ckpt checkpoint (no root attribute format = \"ckpt\")")]
                return o
            }
            // The container first, as its format says (a torch.save zip: every entry's CRC-32).
            integrity = try FormatIntegrity.check(file)
            // Streamed: the tree, then every tensor's checksum one tensor at a time, counting
            // NaN and infinity in the same read unless the file says its state is non-finite.
            let outline = try reader.outline(file)
            if outline.checkpoint.metadata[Run.nonFiniteKey] != nil {
                try outline.checkRemaining()
            } else {
                nonFinite = try outline.checkRemainingCountingNonFinite()
            }
            (checkpoint, damaged) = (outline.checkpoint, outline.damaged)
        } catch {
            // The loader's message names the file and the object; keep one of each.
            var text = CommandRunner.message(for: error)
            if text.hasPrefix(file + ": ") { text.removeFirst(file.count + 2) }
            var path = "/"
            if let e = error as? CheckpointError, let p = e.path, text.hasPrefix(p + ": ") {
                path = p
                text.removeFirst(p.count + 2)
            }
            o.problems = [VerifyProblem(path: path, message: text)]
            return o
        }
        // Every damaged tensor, not only the first the loader meets.
        o.problems = damaged.map { e in
            var text = e.description
            if let p = e.path, text.hasPrefix("\(file): \(p): ") { text.removeFirst(file.count + p.count + 4) }
            return VerifyProblem(path: e.path ?? "/", message: text)
        } + consistencyProblems(checkpoint, integrity, warnings: &o.warnings)
        o.tensors = Self.tensorCount(checkpoint)
        var facts = if !integrity.isNative {
            [integrity.summary, Format.count(o.tensors, "tensor")]
        } else {
            ["format v\(checkpoint.metadata["format_version"].map(Format.value) ?? "?")", "\(Format.count(o.tensors, "tensor")) checksummed"]
        }
        if let opt = checkpoint.optimizer {
            facts.append("\(opt["type"]?.stringValue ?? "?") with \(Format.count(opt["param_groups"]?.arrayValue?.count ?? 0, "param group"))")
        }
        if let s = checkpoint.scheduler?["type"]?.stringValue { facts.append(s) }
        for e in checkpoint.extraOptimizers { facts.append("\(e.path): \(e.optimizer?["type"]?.stringValue ?? "?")") }
        o.summary = facts.joined(separator: "; ")
        if let why = checkpoint.metadata[Run.nonFiniteKey]?.stringValue {
            o.warnings.append("the state is marked non-finite (\(why)); `ckpt resume DIR` skips it")
        }
        o.warnings += Self.nonFiniteWarnings(nonFinite)
        if integrity.isNative, !reader.hasManifest(file) {
            o.warnings.append("no ckpt manifest: the tensors' checksums verify, but nothing covers the metadata (written by another tool, or the manifest was stripped)")
        }
        return o
    }

    /// `CheckpointVerifier`'s checks on the view the file's format gives (`FormatIntegrity`).
    private func consistencyProblems(_ c: Checkpoint, _ integrity: FormatIntegrity, warnings: inout [String]) -> [VerifyProblem] {
        let (view, notes, applies) = integrity.verifiable(c)
        warnings += notes
        return CheckpointVerifier.problems(in: view).filter(applies)
    }

    /// Tensors shown by name in the non-finite warnings; the rest are counted in one line.
    static let maxNonFiniteWarnings = 20

    /// One warning per tensor holding NaN or infinity in a file not marked non-finite (saved
    /// by another tool, an older ckpt, or a custom loop that never checked).
    static func nonFiniteWarnings(_ found: [(path: String, count: NonFiniteCount)]) -> [String] {
        guard !found.isEmpty else { return [] }
        var out = found.prefix(maxNonFiniteWarnings).map { t in
            "\(t.path) holds \(t.count.description), though the file is not marked non-finite (training diverged before this save, or another tool wrote the values)"
        }
        if found.count > maxNonFiniteWarnings {
            let more = found.count - maxNonFiniteWarnings
            out.append("\(Format.count(more, "more tensor")) \(more == 1 ? "holds" : "hold") NaN or infinity")
        }
        return out
    }

    /// Every tensor the file holds (each carries a checksum the loader verified).
    static func tensorCount(_ c: Checkpoint) -> Int {
        c.tensorCount
    }

    private func json(_ outcomes: [Outcome]) -> StateValue {
        let files: [StateValue] = outcomes.map { o in
            var d: StateDict = ["file": .string(o.file), "ok": .bool(o.inputError == nil && o.problems.isEmpty)]
            if let e = o.inputError { d["error"] = .string(e) }
            d["tensors"] = .int(Int64(o.tensors))
            d["warnings"] = .list(o.warnings.map { .string($0) })
            d["problems"] = .list(o.problems.map { .dict(["path": .string($0.path), "message": .string($0.message)]) })
            return .dict(d)
        }
        let ok = outcomes.allSatisfy { $0.inputError == nil && $0.problems.isEmpty }
        return .dict(["ok": .bool(ok), "files": .list(files)])
    }
}
