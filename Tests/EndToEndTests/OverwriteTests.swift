import CkptTestSupport
import Foundation
import Testing

/// Issue 15: a command never replaces an existing checkpoint with something else unless told to.
@Suite(.serialized) struct OverwriteTests {
    /// A directory holding a one-epoch run's `a/epoch-1.h5`.
    func trainedRun() throws -> String {
        let dir = makeTempDir()
        let cfg = #"{"model": {"type": "mlp", "sizes": [3072, 8, 10]}, "data": {"dataset": "synthetic", "train_size": 32, "test_size": 0, "batch_size": 16}, "epochs": 1}"#
        try cfg.write(toFile: dir + "/cfg.json", atomically: true, encoding: .utf8)
        let r = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        return dir
    }

    /// A run never writes into another run's directory: a second `train --out a` and a resume
    /// of run A into run B's directory are refused before writing; resuming A into its own
    /// directory is what resume is for.
    @Test func aRunIsRefusedInAnotherRunsDirectory() throws {
        let dir = try trainedRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/a/epoch-1.h5"))
        let again = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir)
        #expect(again.status == 2)
        #expect(again.stderr.contains("a: holds the checkpoints of another run (run id "), "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/epoch-1.h5")) == before)

        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "b"], in: dir).status == 0)
        let into = try Binary.ckpt(["resume", "a/epoch-1.h5", "--epochs", "2", "--out", "b"], in: dir)
        #expect(into.status == 2)
        #expect(into.stderr.contains("b: holds the checkpoints of another run"), "\(into.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b/epoch-2.h5"))

        let own = try Binary.ckpt(["resume", "a/epoch-1.h5", "--epochs", "2"], in: dir)
        #expect(own.status == 0, "\(own.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/a/epoch-2.h5"))
    }

    /// A run killed before its first save leaves only its claim (`.ckpt-run`): the same `train`
    /// command run again takes the directory over instead of refusing it (found by the kill
    /// trial under mpirun, whose start-up is slow enough for kills to land there).
    @Test func aClaimWithoutCheckpointsIsTakenOver() throws {
        let dir = try trainedRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/c", withIntermediateDirectories: true)
        try "run_id 0123456789abcdef\n".write(toFile: dir + "/c/.ckpt-run", atomically: true, encoding: .utf8)
        let r = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "c"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/c/epoch-1.h5"))
        let claim = try String(contentsOfFile: dir + "/c/.ckpt-run", encoding: .utf8)
        #expect(!claim.contains("0123456789abcdef"), "\(claim)")
    }

    @Test func plotOntoACheckpointIsRefused() throws {
        let dir = try trainedRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/a/epoch-1.h5"))
        let r = try Binary.ckpt(["plot", "a/epoch-1.h5", "--out", "a/epoch-1.h5"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("is a checkpoint (an HDF5 file); refusing to replace it with an SVG chart"), "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/epoch-1.h5")) == before)
        #expect(try Binary.ckpt(["plot", "a/epoch-1.h5", "--out", "a/chart.svg"], in: dir).status == 0)
    }

    @Test func convertOntoACheckpointNeedsForce() throws {
        let dir = try trainedRun()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Binary.ckpt(["convert", "a/epoch-1.h5", "w.safetensors"], in: dir).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/a/epoch-1.h5"))
        let refused = try Binary.ckpt(["convert", "w.safetensors", "a/epoch-1.h5"], in: dir)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a/epoch-1.h5")) == before)
        let forced = try Binary.ckpt(["convert", "w.safetensors", "a/epoch-1.h5", "--force"], in: dir)
        #expect(forced.status == 0, "\(forced.stderr)")
    }
}
