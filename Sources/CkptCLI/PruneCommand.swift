import ArgumentParser
import Ckpt
import Foundation

/// `ckpt prune DIR`: applies a retention policy to a run directory by hand, deciding from the
/// files alone exactly as a training run does after each save.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete the checkpoints a retention policy does not keep.",
        discussion: """
            Every *.h5 checkpoint is verified first (manifest and every tensor's checksum); \
            only checkpoints that verify are deleted, and only when no rule keeps them: the \
            newest (and the newest one `ckpt resume DIR` would pick), the K newest \
            (--keep-last K), the N best by a recorded metric (--keep-best test_loss:min:N). \
            Files that do not verify are neither kept nor deleted: they are reported. Without \
            --keep-last / --keep-best, the policy recorded in the newest checkpoint's config is \
            used. A run writing into DIR holds its lock: prune refuses to run beside it \
            (--dry-run does not need the lock).

            --dry-run prints exactly the files a real prune would delete, and deletes nothing.

            Exit status: 0 done; 1 a deletion failed; 2 bad usage, no policy, DIR missing or \
            a run is writing into it.
            """)

    @Argument(help: ArgumentHelp("A run directory.", valueName: "dir"))
    var directory: String

    @OptionGroup var retention: RetentionOptions

    @Flag(name: .customLong("dry-run"), help: "Print what would be deleted; delete nothing.")
    var dryRun = false

    @OptionGroup var output: JSONOption

    init() {}

    func run() throws {
        if let status = ParseIsolation.runInChild(command: "prune", files: LsCommand.h5Files(in: directory)) { throw ExitCode(status) }
        try run { try execute(console: $0) }
    }

    func execute(console: Console) throws -> CommandStatus {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw RunError.file(directory, "no such directory")
        }
        let lock = dryRun ? nil : try RunDirectoryLock.acquire(directory, command: "ckpt prune")
        defer { lock?.release() }
        let policy: RetentionPolicy
        if let given = retention.policy {
            policy = given
        } else {
            let listing = try CheckpointListing.scan(directory)
            guard let recorded = listing.recordedPolicy, recorded.isActive else {
                throw CLIError("\(directory): no retention policy: give --keep-last K and/or --keep-best METRIC:MODE:N (the newest checkpoint's config sets none)")
            }
            policy = recorded
        }
        let result = try CheckpointRetention.prune(directory, policy: policy, dryRun: dryRun)
        if output.json {
            console.printJSON(Self.json(result, policy: policy, dryRun: dryRun))
        } else {
            let verb = dryRun ? "would delete" : "deleted"
            for p in result.deleted { console.print("\(verb) \(p)") }
            for e in LsCommand.ordered(result.listing) where e.keptBy?.isEmpty == false {
                console.print("kept \(e.path) (\(LsCommand.keptText(e)))")
            }
            for e in result.invalid {
                console.print("left \(e.path): does not verify, not counted as kept, not deleted: \(e.note ?? "invalid")")
            }
        }
        for f in result.failures { console.printError("ckpt prune: \(f)") }
        return result.failures.isEmpty ? .success : .failure
    }

    static func json(_ result: CheckpointRetention.Result, policy: RetentionPolicy, dryRun: Bool) -> StateValue {
        let kept = LsCommand.ordered(result.listing).filter { $0.keptBy?.isEmpty == false }
        return .dict([
            "directory": .string(result.listing.directory),
            "policy": policy.json,
            "dry_run": .bool(dryRun),
            "deleted": .list(result.deleted.map { .string($0) }),
            "kept": .list(kept.map { .dict(["path": .string($0.path), "kept_by": .list(($0.keptBy ?? []).map { .string($0) })]) }),
            "invalid": .list(result.invalid.map { .dict(["path": .string($0.path), "reason": .string($0.note ?? "")]) }),
            "failures": .list(result.failures.map { .string($0) }),
        ])
    }
}
