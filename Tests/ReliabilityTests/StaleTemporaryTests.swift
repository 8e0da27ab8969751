import Ckpt
import CkptFormat
import Foundation
import Testing

/// A save killed with `kill -9` leaves `.<name>.partial-<pid>-<random>` behind; the next run
/// writing into that directory removes it, but never a temporary whose writer is alive.
@Suite struct StaleTemporaryTests {
    /// The pid of a process that has exited (and been reaped): no process has it right now.
    func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    @Test func onlyTemporariesOfDeadWritersAreRemoved() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let dead = try deadPID()
        let stale = dir + "/.epoch-1.h5.partial-\(dead)-1a2b3c"
        let live = dir + "/.epoch-2.h5.partial-\(getpid())-4d5e6f"
        let parent = dir + "/.step-3.h5.partial-\(getppid())-777"
        let unrelated = [dir + "/.hidden", dir + "/epoch-1.h5", dir + "/.x.partial-notapid-1"]
        for f in [stale, live, parent] + unrelated { writeBytes([1, 2, 3], to: f) }
        let removed = CheckpointFile.removeStaleTemporaries(in: dir)
        #expect(removed == [stale])
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(left == Set(([live, parent] + unrelated).map { ($0 as NSString).lastPathComponent }))
    }

    /// The trainer sweeps its directory when a run starts (as `ckpt train` / `resume` do).
    @Test func trainingIntoADirectoryRemovesStaleTemporaries() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let stale = dir + "/.step-4.h5.partial-\(try deadPID())-abc"
        writeBytes([0], to: stale)
        let config = try RunConfig(json: """
            {"model": {"type": "mlp", "sizes": [3072, 2, 10]},
             "data": {"dataset": "synthetic", "train_size": 4, "test_size": 0, "batch_size": 4},
             "optimizer": {"type": "SGD", "lr": 0.1}, "epochs": 1, "seed": 1}
            """)
        _ = try Trainer(directory: dir).train(try Run(config: config))
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: dir + "/epoch-1.h5"))
    }
}
