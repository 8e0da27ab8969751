import ArgumentParser
import Ckpt
import Foundation

/// `ckpt ls DIR`: the checkpoints of a run directory, what they record, whether they verify,
/// and which retention rule keeps each one.
struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the checkpoints of a run directory.",
        discussion: """
            One row per checkpoint (a *.h5 file with /progress), oldest first by recorded \
            progress: file, epoch, global step, the recorded metrics (train_loss, test_loss, \
            test_accuracy: epoch checkpoints record them, mid-epoch step checkpoints do not), \
            size, created time (root attribute created_at), whether it verifies (manifest and \
            every tensor's checksum; --quick: the manifest and small tensors only), and which \
            retention rule keeps it: newest, newest resumable, last K, best <metric>, or \
            "delete" when `ckpt prune` would delete it. The policy is --keep-last / \
            --keep-best when given, else the one recorded in the newest checkpoint's config. \
            Then the files that do not verify, leftover temporaries of unfinished saves \
            (.<name>.partial-...), and every other file.

            Exit status: 0 listed, every *.h5 checkpoint verifies; 1 some *.h5 does not verify; \
            2 bad usage, or DIR is not a readable directory.
            """)

    @Argument(help: ArgumentHelp("A run directory.", valueName: "dir"))
    var directory: String

    @Flag(name: .long, help: "Check the manifest only, not every tensor's checksum (fast on large files).")
    var quick = false

    @OptionGroup var retention: RetentionOptions

    @OptionGroup var output: JSONOption

    init() {}

    func run() throws {
        if let status = ParseIsolation.runInChild(command: "ls", files: Self.h5Files(in: directory)) { throw ExitCode(status) }
        try run { try execute(console: $0) }
    }

    func execute(console: Console) throws -> CommandStatus {
        let scanned = try CheckpointListing.scan(directory, quick: quick, metrics: retention.policy?.keepBest.map { [$0.metric] } ?? [])
        let policy = retention.policy ?? scanned.recordedPolicy ?? RetentionPolicy()
        let listing = scanned.applying(policy)
        if output.json {
            console.printJSON(Self.json(listing, policy: policy, quick: quick))
        } else {
            Self.print(listing, policy: policy, quick: quick, console: console)
        }
        return listing.entries.contains { $0.kind == .invalid } ? .failure : .success
    }

    /// The `*.h5` files of `directory` (their size bounds the isolated child's limits).
    static func h5Files(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".h5") }.map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Checkpoints oldest first by recorded progress, then name.
    static func ordered(_ listing: CheckpointListing) -> [CheckpointListing.Entry] {
        listing.checkpoints.sorted { ($0.globalStep ?? 0, $0.epoch ?? 0, $0.name) < ($1.globalStep ?? 0, $1.epoch ?? 0, $1.name) }
    }

    /// The metric columns: those any checkpoint records, in `CheckpointMetrics.names` order, then others.
    static func metricNames(_ listing: CheckpointListing) -> [String] {
        let present = Set(listing.checkpoints.flatMap(\.metrics.keys))
        return CheckpointMetrics.names.filter(present.contains) + present.subtracting(CheckpointMetrics.names).sorted()
    }

    static func keptText(_ e: CheckpointListing.Entry) -> String {
        guard let kept = e.keptBy else { return "" }
        return kept.isEmpty ? "delete" : kept.joined(separator: ", ")
    }

    static func print(_ listing: CheckpointListing, policy: RetentionPolicy, quick: Bool, console: Console) {
        let metrics = metricNames(listing)
        let checkpoints = ordered(listing)
        console.print("\(listing.directory): \(Format.count(checkpoints.count, "checkpoint")); retention: \(policy.summary)")
        if !checkpoints.isEmpty {
            let header = ["file", "epoch", "step"] + metrics + ["size", "created", "valid", "kept by"]
            var table = TextTable(header, rightAligned: Set(1..<(3 + metrics.count + 1)))
            for e in checkpoints {
                var row = [e.name, e.epoch.map(String.init) ?? "", e.globalStep.map(String.init) ?? ""]
                row += metrics.map { m in e.metrics[m].map { String(format: "%.4f", $0) } ?? "-" }
                row += [e.size.map { Format.bytes(Int($0)) } ?? "", e.createdAt ?? "",
                        (quick ? "manifest" : "ok") + (e.nonFinite ? ", non-finite" : ""), keptText(e)]
                table.add(row)
            }
            table.lines().forEach { console.print($0) }
        }
        let invalid = listing.entries.filter { $0.kind == .invalid }
        if !invalid.isEmpty {
            console.print("do not verify (never counted as kept, never deleted by a policy):")
            for e in invalid { console.print("  \(e.name): \(e.note ?? "invalid")") }
        }
        let temporaries = listing.entries.filter { $0.kind == .temporary }
        if !temporaries.isEmpty {
            console.print("temporaries (a save in progress, or left by a killed one; a new run removes stale ones):")
            for e in temporaries { console.print("  \(e.name)") }
        }
        let others = listing.entries.filter { $0.kind == .other }
        if !others.isEmpty {
            console.print("other files:")
            for e in others { console.print("  \(e.name)" + (e.note.map { ": \($0)" } ?? "")) }
        }
    }

    static func json(_ listing: CheckpointListing, policy: RetentionPolicy, quick: Bool) -> StateValue {
        func entry(_ e: CheckpointListing.Entry) -> StateValue {
            var d: StateDict = ["file": .string(e.name), "path": .string(e.path), "kind": .string(e.kind.rawValue)]
            d["size"] = e.size.map { .int($0) } ?? StateValue.none
            if e.kind == .checkpoint {
                d["epoch"] = .int(Int64(e.epoch ?? 0))
                d["global_step"] = .int(Int64(e.globalStep ?? 0))
                d["batch"] = .int(Int64(e.batch ?? 0))
                var m = StateDict()
                for name in CheckpointMetrics.names + e.metrics.keys.sorted() where m[name] == nil {
                    if let v = e.metrics[name] { m[name] = .double(v) }
                }
                d["metrics"] = .dict(m)
                d["created_at"] = e.createdAt.map { .string($0) } ?? StateValue.none
                d["verified"] = .string(quick ? "manifest" : "checksums")
                d["non_finite"] = .bool(e.nonFinite)
                d["kept_by"] = e.keptBy.map { .list($0.map { .string($0) }) } ?? StateValue.none
            }
            if let note = e.note { d["note"] = .string(note) }
            return .dict(d)
        }
        let checkpoints = ordered(listing)
        return .dict([
            "directory": .string(listing.directory),
            "policy": policy.json,
            "checkpoints": .list(checkpoints.map(entry)),
            "invalid": .list(listing.entries.filter { $0.kind == .invalid }.map(entry)),
            "temporaries": .list(listing.entries.filter { $0.kind == .temporary }.map(entry)),
            "other": .list(listing.entries.filter { $0.kind == .other }.map(entry)),
        ])
    }
}
