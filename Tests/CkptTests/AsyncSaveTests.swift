import Foundation
import Testing
@testable import Ckpt

/// Async saves (`"checkpoint": {"async": true}`): the same files as synchronous saves, at most
/// one in flight, a background error ends the run naming the file.
@Suite struct AsyncSaveTests {
    static func tempDir() -> String { RetentionTests.tempDir() }

    /// Trains the retention tests' config to the end with sync or async saves.
    static func train(async: Bool, policy: String = "", into dir: String, hooks: SaveHooks = .none) throws {
        var trainer = Trainer(directory: dir)
        trainer.asyncSave = async
        trainer.saveHooks = hooks
        _ = try trainer.train(try Run(config: RetentionTests.config(policy)))
    }

    @Test(arguments: ["", #""keep_last": 2, "keep_best": {"metric": "test_loss", "k": 1}"#])
    func asyncRunIsBitIdenticalToSyncRun(policy: String) throws {
        let sync = Self.tempDir(), async = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: sync); try? FileManager.default.removeItem(atPath: async) }
        try Self.train(async: false, policy: policy, into: sync)
        try Self.train(async: true, policy: policy, into: async)
        let names = RetentionTests.files(sync)
        #expect(!names.isEmpty && RetentionTests.files(async) == names)
        for name in names {
            let a = try CheckpointFile.load(async + "/" + name), s = try CheckpointFile.load(sync + "/" + name)
            let v = RunVerification.compare(a, reference: s)
            #expect(v.identical, "\(name): \(v.summary)")
            #expect(CheckpointMetrics.read(a.metadata) == CheckpointMetrics.read(s.metadata), "\(name)")
            #expect(a.config == s.config)
        }
    }

    @Test func aBackgroundErrorEndsTheRunNamingTheFile() throws {
        for async in [false, true] {
            let dir = Self.tempDir()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // A directory where step-6.h5 goes: the save refuses to replace it.
            try FileManager.default.createDirectory(atPath: dir + "/step-6.h5", withIntermediateDirectories: false)
            do {
                try Self.train(async: async, into: dir)
                Issue.record("async \(async): the run went on")
            } catch let e as CheckpointError {
                #expect(e.description.contains("step-6.h5"), "\(e)")
            }
            // Earlier checkpoints are intact; nothing after the failed one was started.
            #expect(RetentionTests.files(dir).filter { $0 != "step-6.h5" } == ["epoch-1.h5", "step-3.h5"])
            for name in ["epoch-1.h5", "step-3.h5"] { _ = try CheckpointFile.load(dir + "/" + name) }
        }
    }

    /// Records save steps from the background thread.
    final class StepLog: @unchecked Sendable {
        let lock = NSLock()
        var steps: [(SaveStep, String)] = []
        func add(_ s: SaveStep, _ t: String) { lock.lock(); steps.append((s, t)); lock.unlock() }
    }

    @Test func atMostOneSaveInFlightAndANewSaveWaits() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = StepLog()
        let saver = AsyncCheckpointSaver(hooks: SaveHooks { step, tmp in
            // The first save is slow (a slow disk): the second must wait for it.
            if step == .beforeRename, tmp.contains(".a.h5.") { usleep(200_000) }
            log.add(step, tmp)
        })
        let run = try Run(config: RetentionTests.config())
        let a = try saver.save(run.checkpoint(), to: dir + "/a.h5")
        let b = try saver.save(run.checkpoint(), to: dir + "/b.h5")
        #expect(a.isFinished, "save b returned only after save a ended")
        try b.wait()
        try b.wait()  // waiting again returns at once
        let owners = log.steps.map { $0.1.contains(".a.h5.") ? "a" : "b" }
        #expect(owners == Array(repeating: "a", count: SaveStep.allCases.count) + Array(repeating: "b", count: SaveStep.allCases.count),
                "\(log.steps.map { "\($0.0) \($0.1)" })")
        for name in ["a.h5", "b.h5"] { _ = try CheckpointFile.load(dir + "/" + name) }
    }

    @Test func aFailedSaveIsRethrownByTheNextSave() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/a.h5", withIntermediateDirectories: false)
        let saver = AsyncCheckpointSaver()
        let run = try Run(config: RetentionTests.config())
        let a = try saver.save(run.checkpoint(), to: dir + "/a.h5")
        #expect(throws: CheckpointError.self) { try saver.save(run.checkpoint(), to: dir + "/b.h5") }
        #expect(throws: CheckpointError.self) { try a.wait() }
        #expect(!FileManager.default.fileExists(atPath: dir + "/b.h5"), "not started after a failure")
    }

    /// Each save is written with nobody waiting for it: the first (which starts the writer
    /// thread) and a later one (handed to a writer that had gone idle). Fails for a writer
    /// that only runs when waited for.
    @Test func aSaveIsWrittenWithNobodyWaitingForIt() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let saver = AsyncCheckpointSaver()
        let run = try Run(config: RetentionTests.config())
        for name in ["a.h5", "b.h5"] {
            let h = try saver.save(run.checkpoint(), to: dir + "/" + name)
            let deadline = Date(timeIntervalSinceNow: 30)
            while !h.isFinished && Date() < deadline { usleep(1000) }
            #expect(h.isFinished, "\(name) was not written within 30 s")
            usleep(200_000)  // the writer goes idle
            _ = try CheckpointFile.load(dir + "/" + name)
        }
    }
}
