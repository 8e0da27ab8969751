import Ckpt
import Foundation
import Testing
@testable import CkptCLI

/// `ckpt ls` and `ckpt prune` on a real run directory.
@Suite struct LsPruneCommandTests {
    /// A run of 4 epochs x 5 steps with a step checkpoint every 3 steps (9 checkpoints), plus a
    /// leftover temporary, a truncated checkpoint and a file that is not a checkpoint.
    static func runDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "ckpt-ls-" + UUID().uuidString
        let config = try RunConfig(json: """
            {"model": {"type": "mlp", "sizes": [3072, 8, 10]},
             "data": {"dataset": "synthetic", "train_size": 40, "test_size": 16, "batch_size": 8},
             "optimizer": {"type": "SGD", "lr": 0.05}, "epochs": 4, "checkpoint": {"every_steps": 3}}
            """)
        _ = try Trainer(directory: dir).train(try Run(config: config))
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/.step-99.h5.partial-1234abcd", withIntermediateDirectories: false)
        let bytes = try #require(fm.contents(atPath: dir + "/step-3.h5"))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/broken.h5"))
        try "notes".write(toFile: dir + "/notes.txt", atomically: false, encoding: .utf8)
        return dir
    }

    static func h5(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".h5") }.sorted()
    }

    @Test func lsListsCheckpointsTemporariesAndOtherFiles() throws {
        let dir = try Self.runDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = runCommand { try LsCommand.parse([dir, "--json", "--keep-last", "2"]).execute(console: $0) }
        #expect(r.status == .failure, "a *.h5 that does not verify: exit 1")
        let root = try #require(try JSON.parse(r.out).dictValue)
        let checkpoints = try #require(root["checkpoints"]?.arrayValue).compactMap(\.dictValue)
        #expect(checkpoints.map { $0["file"]?.stringValue } == ["step-3.h5", "epoch-1.h5", "step-6.h5", "step-9.h5", "epoch-2.h5",
                                                                  "step-12.h5", "epoch-3.h5", "step-18.h5", "epoch-4.h5"])
        #expect(checkpoints.last?["kept_by"] == .list(["newest", "last 2"]))
        #expect(checkpoints.first?["kept_by"] == .list([]))
        #expect(checkpoints.last?["metrics"]?.dictValue?.keys.map { $0 } == ["train_loss", "test_loss", "test_accuracy"])
        #expect(checkpoints.first?["metrics"]?.dictValue?.isEmpty == true)
        #expect(root["invalid"]?.arrayValue?.compactMap { $0.dictValue?["file"]?.stringValue } == ["broken.h5"])
        #expect(root["temporaries"]?.arrayValue?.count == 1)
        #expect(root["other"]?.arrayValue?.compactMap { $0.dictValue?["file"]?.stringValue }.contains("notes.txt") == true)
        let text = runCommand { try LsCommand.parse([dir, "--quick"]).execute(console: $0) }
        #expect(text.out.contains("file        epoch  step  train_loss  test_loss  test_accuracy"), "\(text.out)")
        #expect(text.out.contains("broken.h5: "))
        #expect(text.out.contains(".step-99.h5.partial-1234abcd"))
    }

    @Test func dryRunPrintsExactlyWhatPruneDeletes() throws {
        let dir = try Self.runDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args = [dir, "--keep-last", "2", "--keep-best", "test_loss:min:1", "--json"]
        let before = Self.h5(dir)
        let dry = runCommand { try PruneCommand.parse(args + ["--dry-run"]).execute(console: $0) }
        #expect(dry.status == .success, "\(dry.err)")
        #expect(Self.h5(dir) == before, "a dry run deletes nothing")
        let real = runCommand { try PruneCommand.parse(args).execute(console: $0) }
        #expect(real.status == .success, "\(real.err)")
        let wouldGo = try #require(try JSON.parse(dry.out).dictValue?["deleted"])
        let went = try #require(try JSON.parse(real.out).dictValue?["deleted"])
        #expect(wouldGo == went && (6...7).contains(wouldGo.arrayValue?.count ?? 0))
        let gone = Set((went.arrayValue ?? []).compactMap { $0.stringValue.map { ($0 as NSString).lastPathComponent } })
        #expect(Set(Self.h5(dir)) == Set(before).subtracting(gone))
        #expect(Self.h5(dir).contains("broken.h5") && Self.h5(dir).contains("epoch-4.h5"))
        // Text mode says the same files.
        let text = runCommand { try PruneCommand.parse([dir, "--keep-last", "1", "--dry-run"]).execute(console: $0) }
        #expect(text.out.contains("would delete \(dir)/"))
        #expect(text.out.contains("left \(dir)/broken.h5: does not verify"))
    }

    /// The text output too: the dry run's "would delete" lines name exactly the files of the
    /// real prune's "deleted" lines, and those are the files gone.
    @Test func textDryRunNamesExactlyTheFilesThePruneDeletes() throws {
        let dir = try Self.runDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args = [dir, "--keep-last", "1", "--keep-best", "test_accuracy:max:2"]
        func named(_ out: String, _ verb: String) -> [String] {
            out.split(separator: "\n").compactMap { line in
                line.hasPrefix(verb + " ") ? String(line.dropFirst(verb.count + 1)) : nil
            }
        }
        let before = Set(Self.h5(dir))
        let dry = runCommand { try PruneCommand.parse(args + ["--dry-run"]).execute(console: $0) }
        #expect(dry.status == .success, "\(dry.err)")
        #expect(Set(Self.h5(dir)) == before)
        let real = runCommand { try PruneCommand.parse(args).execute(console: $0) }
        #expect(real.status == .success, "\(real.err)")
        let wouldGo = named(dry.out, "would delete"), went = named(real.out, "deleted")
        #expect(!wouldGo.isEmpty && wouldGo == went, "dry run:\n\(dry.out)\nprune:\n\(real.out)")
        #expect(Set(Self.h5(dir)) == before.subtracting(went.map { ($0 as NSString).lastPathComponent }))
        // Nothing is left to delete: a second dry run names no file.
        let again = runCommand { try PruneCommand.parse(args + ["--dry-run"]).execute(console: $0) }
        #expect(named(again.out, "would delete").isEmpty, "\(again.out)")
    }

    @Test func pruneRefusesBesideARunAndWithoutAPolicy() throws {
        let dir = try Self.runDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let noPolicy = runCommand { try PruneCommand.parse([dir]).execute(console: $0) }
        #expect(noPolicy.status == .badInput && noPolicy.err.contains("no retention policy"))
        let lock = try RunDirectoryLock.acquire(dir, command: "ckpt train")
        defer { lock.release() }
        let before = Self.h5(dir)
        let busy = runCommand { try PruneCommand.parse([dir, "--keep-last", "1"]).execute(console: $0) }
        #expect(busy.status == .badInput)
        #expect(Self.h5(dir) == before)
    }
}
