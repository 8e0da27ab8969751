import Foundation
import Testing
@testable import Ckpt

/// Retention (`keep_last`, `keep_best`): decided from the files alone, never deleting the
/// newest checkpoint that verifies, one of the best, or anything before the new file is durable.
@Suite struct RetentionTests {
    /// 5 steps per epoch; a step checkpoint every 3 steps; 4 epochs (20 steps).
    static func config(_ checkpoint: String = "") -> RunConfig {
        try! RunConfig(json: """
            {"model": {"type": "mlp", "sizes": [3072, 8, 10]},
             "data": {"dataset": "synthetic", "train_size": 40, "test_size": 16, "batch_size": 8},
             "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9},
             "scheduler": {"type": "ExponentialLR", "gamma": 0.5}, "epochs": 4,
             "checkpoint": {"every_steps": 3\(checkpoint.isEmpty ? "" : ", " + checkpoint)}}
            """)
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "ckpt-retention-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func files(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".h5") }.sorted()
    }

    /// Every checkpoint of an unpruned run: name → (global step, recorded test loss).
    static func unprunedRun() throws -> (dir: String, files: [String: (step: Int, testLoss: Double?)]) {
        let dir = tempDir()
        _ = try Trainer(directory: dir).train(try Run(config: config()))
        var out: [String: (Int, Double?)] = [:]
        for name in files(dir) {
            let c = try CheckpointFile.load(dir + "/" + name)
            let p = try RunProgress(stateDict: c.progress!)
            out[name] = (p.globalStep, CheckpointMetrics.read(c.metadata)["test_loss"])
        }
        return (dir, out)
    }

    @Test func checkpointsRecordTheirMetrics() throws {
        let (dir, all) = try Self.unprunedRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Step files 3, 6, ... 18 (not 15 nor 20? 15 and 20 end an epoch: the epoch file stands for them).
        #expect(Set(all.keys) == ["step-3.h5", "step-6.h5", "step-9.h5", "step-12.h5", "step-18.h5",
                                  "epoch-1.h5", "epoch-2.h5", "epoch-3.h5", "epoch-4.h5"])
        for (name, f) in all {
            #expect((f.testLoss != nil) == name.hasPrefix("epoch-"), "\(name): only epoch checkpoints record metrics")
        }
        let c = try CheckpointFile.load(dir + "/epoch-2.h5")
        let m = CheckpointMetrics.read(c.metadata)
        #expect(Set(m.keys) == ["train_loss", "test_loss", "test_accuracy"])
        #expect((0...1).contains(m["test_accuracy"]!))
    }

    /// Names of the `k` newest checkpoints of `all`.
    static func newest(_ k: Int, _ all: [String: (step: Int, testLoss: Double?)]) -> Set<String> {
        Set(all.sorted { ($0.value.step, $0.key) > ($1.value.step, $1.key) }.prefix(k).map(\.key))
    }

    static func best(_ all: [String: (step: Int, testLoss: Double?)]) -> String {
        all.filter { $0.value.testLoss != nil }.min { $0.value.testLoss! < $1.value.testLoss! }!.key
    }

    @Test func keepLastOnly() throws {
        let (ref, all) = try Self.unprunedRun()
        defer { try? FileManager.default.removeItem(atPath: ref) }
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Trainer(directory: dir).train(try Run(config: Self.config(#""keep_last": 3"#)))
        #expect(Set(Self.files(dir)) == Self.newest(3, all))
    }

    @Test func keepBestOnly() throws {
        let (ref, all) = try Self.unprunedRun()
        defer { try? FileManager.default.removeItem(atPath: ref) }
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Trainer(directory: dir).train(try Run(config: Self.config(#""keep_best": {"metric": "test_loss", "mode": "min", "k": 1}"#)))
        // The best by test loss, and the newest (always kept).
        #expect(Set(Self.files(dir)) == [Self.best(all), "epoch-4.h5"])
    }

    @Test func keepLastAndBest() throws {
        let (ref, all) = try Self.unprunedRun()
        defer { try? FileManager.default.removeItem(atPath: ref) }
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let policy = #""keep_last": 2, "keep_best": {"metric": "test_loss", "k": 1}"#
        _ = try Trainer(directory: dir).train(try Run(config: Self.config(policy)))
        #expect(Set(Self.files(dir)) == Self.newest(2, all).union([Self.best(all)]))
        // ls's view: every kept file names the rule keeping it.
        let listing = try CheckpointListing.scan(dir).applying(Self.config(policy).checkpoint.retention)
        #expect(listing.checkpoints.allSatisfy { $0.keptBy?.isEmpty == false })
        #expect(listing.checkpoints.first { $0.name == "epoch-4.h5" }?.keptBy?.first == "newest")
    }

    @Test func resumeInTheMiddleDecidesAsTheUninterruptedRun() throws {
        let policy = #""keep_last": 2, "keep_best": {"metric": "test_loss", "k": 1}"#
        let whole = Self.tempDir(), parts = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: whole); try? FileManager.default.removeItem(atPath: parts) }
        _ = try Trainer(directory: whole).train(try Run(config: Self.config(policy)))
        // Stop after 11 steps (Ctrl-C), then resume from the directory alone.
        let first = try Run(config: Self.config(policy))
        var steps = 0
        let trainer = Trainer(directory: parts, onEvent: { if case .step = $0 { steps += 1 } }, shouldStop: { steps == 11 })
        guard case .interrupted = try trainer.train(first) else { Issue.record("not interrupted"); return }
        let resumed = try Run.restore(from: try #require(try CheckpointDirectory.newestValid(in: parts)))
        _ = try Trainer(directory: parts).train(resumed, resumed: true)
        #expect(Self.files(parts) == Self.files(whole))
        for name in Self.files(whole) {
            let v = RunVerification.compare(try CheckpointFile.load(parts + "/" + name), reference: try CheckpointFile.load(whole + "/" + name))
            #expect(v.identical, "\(name): \(v.summary)")
        }
    }

    @Test func corruptNewestIsNeitherCountedNorDeleted() throws {
        let (dir, all) = try Self.unprunedRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Truncate the newest file: it no longer verifies.
        let newest = dir + "/epoch-4.h5"
        let bytes = try #require(FileManager.default.contents(atPath: newest))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: newest))
        let result = try CheckpointRetention.prune(dir, policy: RetentionPolicy(keepLast: 1))
        #expect(result.invalid.map(\.name) == ["epoch-4.h5"])
        // The newest that verifies (step 18) is kept; the corrupt one is left; the rest go.
        #expect(Self.files(dir) == ["epoch-4.h5", "step-18.h5"])
        #expect(Set(result.deleted.map { ($0 as NSString).lastPathComponent }) == Set(all.keys).subtracting(["epoch-4.h5", "step-18.h5"]))
    }

    /// With async saves the deletions run on the writer thread after the file is durable; the
    /// "death" there ends the run at its next step (as a background error), with the same files.
    @Test(arguments: [false, true])
    func aKillBetweenSaveAndDeleteLeavesExtraFilesNeverFewer(async: Bool) throws {
        let policy = #""keep_last": 2"#
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        struct Killed: Error {}
        // The process "dies" at the first deletion: after the third file (step-6.h5, after
        // step-3.h5 and epoch-1.h5) is durable, before step-3.h5 goes.
        var trainer = Trainer(directory: dir)
        trainer.asyncSave = async
        trainer.retentionHooks = .init(beforeDelete: { _ in throw Killed() })
        do {
            _ = try trainer.train(try Run(config: Self.config(policy)))
            Issue.record("the run went on after the deletion failed")
        } catch is Killed {
            #expect(!async)
        } catch {
            #expect(async, "\(error)")
            #expect("\(error)".contains("step-6.h5"), "the background error names the file: \(error)")
        }
        #expect(Self.files(dir) == ["epoch-1.h5", "step-3.h5", "step-6.h5"])
        // Resuming carries on and the next save's prune removes the extras.
        let resumed = try Run.restore(from: try #require(try CheckpointDirectory.newestValid(in: dir)))
        #expect(resumed.progress.globalStep == 6)
        _ = try Trainer(directory: dir).train(resumed, resumed: true)
        #expect(Self.files(dir) == ["epoch-4.h5", "step-18.h5"])
    }

    @Test func policyRules() {
        typealias C = RetentionPolicy.Candidate
        let c = [
            C(path: "a", globalStep: 5, epoch: 1, metrics: ["test_loss": 2.0]),
            C(path: "b", globalStep: 10, epoch: 2, metrics: ["test_loss": 1.0]),
            C(path: "c", globalStep: 12, epoch: 2),
            C(path: "d", globalStep: 15, epoch: 3, metrics: ["test_loss": 1.0]),
            C(path: "e", globalStep: 20, epoch: 4, nonFinite: true, metrics: ["test_loss": .nan]),
        ]
        let best = RetentionPolicy.KeepBest(metric: "test_loss", mode: .min, k: 1)
        #expect(RetentionPolicy(keepLast: 2).reasons(for: c) == [[], [], [], ["newest resumable", "last 2"], ["newest", "last 2"]])
        // Ties go to the newer; NaN never ranks; the newest resumable is kept beside a non-finite newest.
        #expect(RetentionPolicy(keepBest: best).reasons(for: c) == [[], [], [], ["newest resumable", "best test_loss"], ["newest"]])
        let max = RetentionPolicy.KeepBest(metric: "test_loss", mode: .max, k: 2)
        #expect(RetentionPolicy(keepLast: 1, keepBest: max).reasons(for: c)
                == [["best test_loss"], [], [], ["newest resumable", "best test_loss"], ["newest", "last 1"]])
        #expect(RetentionPolicy().reasons(for: c).allSatisfy { !$0.isEmpty })
        #expect(RetentionPolicy.KeepBest(argument: "test_accuracy:max:3") == .init(metric: "test_accuracy", mode: .max, k: 3))
        for bad in ["test_loss", "test_loss:low:1", "test_loss:min:0", ":min:1", "test_loss:min:x"] {
            #expect(RetentionPolicy.KeepBest(argument: bad) == nil, "\(bad)")
        }
    }

    @Test func configKeysParseAndRoundTrip() throws {
        let c = Self.config(#""keep_last": 3, "keep_best": {"metric": "test_accuracy"}, "async": true"#)
        #expect(c.checkpoint.retention == RetentionPolicy(keepLast: 3, keepBest: .init(metric: "test_accuracy", mode: .max, k: 1)))
        #expect(c.checkpoint.async)
        #expect(try RunConfig(json: c.jsonText) == c)
        // Configs without the keys save exactly as before.
        #expect(Self.config().json["checkpoint"]?.dictValue?.keys.map { $0 } == ["every_epochs", "every_steps"])
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: #"{"checkpoint": {"keep_best": {"metric": "val_loss"}}}"#) }
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: #"{"checkpoint": {"keep_last": 0}}"#) }
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: #"{"checkpoint": {"keep_best": {"mode": "lowest"}}}"#) }
    }
}
