import CkptTestSupport
import Foundation
import Testing

/// A diverged run (lr 1e30: the loss turns NaN within a few steps) must not look like a good
/// one: it stops with exit status 1 naming the step, its checkpoint is marked non-finite, and
/// `resume DIR` skips it; `"non_finite": "continue"` trains on with a warning.
@Suite struct NonFiniteRunTests {
    static let config = #"{"optimizer": {"type": "SGD", "lr": 1e30}, "data": {"dataset": "synthetic", "train_size": 64, "test_size": 16}, "epochs": 2"#

    @Test func aNonFiniteLossStopsTheRunAndMarksItsCheckpoint() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(Self.config + "}", to: dir + "/nf.json")
        let r = try Binary.ckpt(["train", "--config", "nf.json", "--out", "a"], in: dir)
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("stopped: the training loss is NaN at epoch 1, batch ") }, "\(r.stdout)")
        let saved = try #require(files(in: dir + "/a").first { $0.hasPrefix("step-") })
        #expect(line.contains("saved a/\(saved), marked non-finite"))
        let inspect = try Binary.ckpt(["inspect", "a/\(saved)"], in: dir)
        #expect(inspect.stdout.contains("non_finite  the training loss is NaN at epoch 1"), "\(inspect.stdout)")
        let verify = try Binary.ckpt(["verify", "a/\(saved)"], in: dir)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("warning: the state is marked non-finite (the training loss is NaN"), "\(verify.stdout)")
        // `resume DIR` finds nothing it may continue; the file by its path still resumes.
        let resume = try Binary.ckpt(["resume", "a"], in: dir)
        #expect(resume.status == 2)
        #expect(resume.stderr.contains("those marked non-finite are skipped"), "\(resume.stderr)")
    }

    @Test func continueTrainsOnWithAWarning() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(Self.config + #", "non_finite": "continue"}"#, to: dir + "/c.json")
        let r = try Binary.ckpt(["train", "--config", "c.json", "--out", "b", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: the training loss is NaN at epoch 1"), "\(r.stderr)")
        #expect(r.stdout.contains(#""non_finite":"the training loss is NaN"#) || r.stdout.contains(#""non_finite": "the training loss is NaN"#), "\(r.stdout)")
        let inspect = try Binary.ckpt(["inspect", "b/epoch-2.h5"], in: dir)
        // One line: the key, then the message (the column's width follows the longest root attribute).
        #expect(inspect.stdout.split(separator: "\n").contains { $0.contains("non_finite ") && $0.contains(" the training loss is NaN") },
                "\(inspect.stdout)")
    }
}
