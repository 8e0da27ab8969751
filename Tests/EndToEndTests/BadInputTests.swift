import CkptTestSupport
import Foundation
import Testing

/// Bad usage and bad input: exit status 2, one line on stderr naming the file or key, and
/// nothing written.
@Suite(.serialized) struct BadInputTests {
    @Test(arguments: [
        (#"{"data": {"batch_sise": 4}}"#, "cfg.json: data.batch_sise: unknown key"),
        (#"{"data": {"batch_size": "4"}}"#, #"cfg.json: data.batch_size: expected a positive integer, found "4""#),
        (#"{"model": {"type": "resnet"}}"#, "cfg.json: model.type: expected one of"),
        (#"{"epochs": "#, "cfg.json: invalid JSON at byte"),
        (#"{"data": {"dataset": "cifar10", "root": "nowhere"}}"#, "data.root: no CIFAR-10 binaries under nowhere"),
        (#"{"model": {"type": "mlp", "sizes": [100, 10]}, "data": {"dataset": "synthetic"}}"#, "cfg.json: model.sizes[0]"),
        (#"{"optimizer": {"type": "SGD", "lrr": 0.1}}"#, "cfg.json: optimizer.lrr: unknown key"),
        (#"{"scheduler": {"type": "StepLR"}}"#, "cfg.json: scheduler.step_size: missing"),
        (#"{"optimizer": {"param_groups": [{"params": ["conv*"]}]}}"#, "cfg.json: optimizer.param_groups: parameters matching no group: fc1.weight"),
        (#"{"data": {"dataset": "hdf5", "path": "absent.h5"}}"#, "cfg.json: data.path: absent.h5: no such file"),
        (#"{"epochs": 1000001}"#, "cfg.json: epochs: expected 1...1000000, found 1000001"),
        (#"{"data": {"dataset": "synthetic", "train_size": 1000000000}}"#, "cfg.json: data.train_size: 1000001000 synthetic images would need"),
        (#"{"model": {"type": "mlp", "sizes": [3072, 1000000000, 10]}, "data": {"dataset": "synthetic"}}"#, "cfg.json: model.sizes: 3083000000010 parameters would need"),
    ])
    func badConfigExitsTwoNamingTheKey(config: String, message: String) throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(config, to: dir + "/cfg.json")
        let r = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("ckpt train: "), "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/a"), "nothing is written")
    }

    @Test func outputThatIsAFile() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        let r = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "cfg.json"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr == "ckpt train: cfg.json: exists and is not a directory (--out takes a directory for the checkpoints)\n")
    }

    /// Command-line numbers obey the config's bounds: no overflow trap, no endless schedule.
    @Test(arguments: [
        (["train", "--epochs", "9223372036854775807", "--out", "a"], "--epochs must be an integer in 1...1000000"),
        (["schedule", "--config", "cfg.json", "--steps", "9223372036854775807"], "--steps must be an integer in 0...10000000"),
    ])
    func hugeCommandLineNumbersExitTwo(args: [String], message: String) throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(#"{"scheduler": {"type": "StepLR", "step_size": 2}}"#, to: dir + "/cfg.json")
        let r = try Binary.ckpt(args, in: dir)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/a"), "nothing is written")
    }

    /// A read-only place for --out is found before training, not at the first save.
    @Test func unwritableOutputIsRefusedBeforeTraining() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Binary.ckpt(["train", "--epochs", "1", "--out", "/proc/ckpt-run"], in: dir)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("/proc/ckpt-run: cannot be created in /proc"), "\(r.stderr)")
    }

    @Test func missingConfigFile() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Binary.ckpt(["train", "--config", "absent.json", "--out", "a"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr == "ckpt train: absent.json: no such file\n")
        #expect(files(in: dir).isEmpty)
    }

    @Test func resumeBadInputs() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        write("not an hdf5 file", to: dir + "/junk.h5")
        let cases: [([String], String)] = [
            (["resume", "absent.h5"], "absent.h5: no such file or directory"),
            (["resume", "empty"], "empty: no checkpoint here that loads"),
            (["resume", "junk.h5"], "junk.h5"),
        ]
        for (args, message) in cases {
            let r = try Binary.ckpt(args, in: dir)
            #expect(r.status == 2, "\(args)")
            #expect(r.stderr.hasPrefix("ckpt resume: "), "\(r.stderr)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        // Fewer epochs than the checkpoint already holds.
        write(tinyConfig, to: dir + "/cfg.json")
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "two", "--epochs", "2"], in: dir).status == 0)
        let fewer = try Binary.ckpt(["resume", "two/epoch-2.h5", "--epochs", "1"], in: dir)
        #expect(fewer.status == 2)
        #expect(fewer.stderr.contains("two/epoch-2.h5: already 2 epochs complete; --epochs 1 asks for fewer"), "\(fewer.stderr)")
        // A missing --verify reference is reported before any training.
        write(tinyConfig, to: dir + "/cfg.json")
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a", "--epochs", "1"], in: dir).status == 0)
        let r = try Binary.ckpt(["resume", "a/epoch-1.h5", "--epochs", "2", "--out", "b", "--verify", "absent.h5"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("absent.h5"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b"))
    }

    @Test func initFromWithWrongShapesNamesTheTensor() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a", "--epochs", "1"], in: dir).status == 0)
        write(tinyConfig.replacingOccurrences(of: "[3072, 16, 10]", with: "[3072, 32, 10]"), to: dir + "/wide.json")
        let r = try Binary.ckpt(["train", "--config", "wide.json", "--init-from", "a/epoch-1.h5", "--out", "b"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("a/epoch-1.h5"), "\(r.stderr)")
        #expect(r.stderr.contains("[16, 3072]") && r.stderr.contains("[32, 3072]"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/b"))
        // Matching shapes: training starts from those weights.
        let ok = try Binary.ckpt(["train", "--config", "cfg.json", "--init-from", "a/epoch-1.h5", "--out", "c", "--epochs", "1"], in: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("initial weights from a/epoch-1.h5"))
    }

    @Test(arguments: [
        (["train", "--epochs", "0"], "--epochs must be an integer in 1...1000000, got 0"),
        (["train", "--epochs", "three"], "three"),
        (["train", "--bogus"], "--bogus"),
        (["resume"], "checkpoint|dir"),
        (["resume", "x.h5", "--epochs", "-1"], "--epochs"),
    ])
    func badUsageExitsTwo(args: [String], message: String) throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Binary.ckpt(args, in: dir)
        #expect(r.status == 2, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        #expect(files(in: dir).isEmpty)
    }

    @Test func helpTexts() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let train = try Binary.ckpt(["train", "--help"], in: dir)
        #expect(train.status == 0)
        for option in ["--config", "--out", "--epochs", "--init-from", "--json", "epoch-<N>.h5", "Ctrl-C"] {
            #expect(train.stdout.contains(option), "train --help lacks \(option)")
        }
        let resume = try Binary.ckpt(["resume", "--help"], in: dir)
        #expect(resume.status == 0)
        for option in ["--epochs", "--out", "--verify", "--json", "checkpoint|dir", "documented"] {
            #expect(resume.stdout.contains(option), "resume --help lacks \(option)")
        }
        let root = try Binary.ckpt(["--help"], in: dir)
        #expect(root.stdout.contains("train") && root.stdout.contains("resume"))
    }
}

/// `--init-from` with an HDF5 file written by h5py (skipped when python3 with h5py is absent).
@Suite(.serialized) struct InitFromForeignFileTests {
    static func python(_ script: String, in dir: String) throws -> Int32 {
        let r = try Subprocess.run(try #require(Tools.python3), ["-c", script], in: dir)
        if r.status != 0 { Issue.record("python3 exited \(r.status): \(r.output)") }
        return r.status
    }

    @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
    func h5pyModelGroupLoadsStrictly() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        // Flat names as PyTorch gives them, and nested groups, float64 converted; all 0.25.
        #expect(try Self.python("""
            import h5py, numpy as np
            with h5py.File("flat.h5", "w") as f:
                f["model/net.1.weight"] = np.full((16, 3072), 0.25, np.float32)
                f["model/net.1.bias"] = np.full((16,), 0.25, np.float32)
                f["model/net.3.weight"] = np.full((10, 16), 0.25, np.float64)
                f["model/net.3.bias"] = np.full((10,), 0.25, np.float32)
            with h5py.File("nested.h5", "w") as f:
                f["model/net/1/weight"] = np.full((16, 3072), 0.25, np.float32)
                f["model/net/1/bias"] = np.full((16,), 0.25, np.float32)
                f["model/net/3/weight"] = np.full((10, 16), 0.25, np.float32)
                f["model/net/3/bias"] = np.full((10,), 0.25, np.float32)
            with h5py.File("short.h5", "w") as f:
                f["model/net.1.weight"] = np.zeros((16, 3072), np.float32)
            with h5py.File("nomodel.h5", "w") as f:
                f["weights"] = np.zeros(3)
            """, in: dir) == 0)
        for name in ["flat.h5", "nested.h5"] {
            let r = try Binary.ckpt(["train", "--config", "cfg.json", "--init-from", name, "--out", name + ".run", "--epochs", "1", "--json"], in: dir)
            #expect(r.status == 0, "\(name): \(r.stderr)")
        }
        // Same initial weights, same run: the two are bit-identical.
        let same = try Binary.ckpt(["resume", "flat.h5.run/epoch-1.h5", "--verify", "nested.h5.run/epoch-1.h5"], in: dir)
        #expect(same.status == 0, "\(same.stdout) \(same.stderr)")
        // And not the seed's initial weights.
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "plain", "--epochs", "1"], in: dir).status == 0)
        let differs = try Binary.ckpt(["resume", "flat.h5.run/epoch-1.h5", "--verify", "plain/epoch-1.h5"], in: dir)
        #expect(differs.status == 1)
        #expect(differs.stdout.contains("model/net.1.bias") || differs.stdout.contains("model/net.1.weight"), "\(differs.stdout)")
        let short = try Binary.ckpt(["train", "--config", "cfg.json", "--init-from", "short.h5", "--out", "s"], in: dir)
        #expect(short.status == 2)
        #expect(short.stderr.contains("short.h5") && short.stderr.contains("missing key(s): net.1.bias"), "\(short.stderr)")
        let none = try Binary.ckpt(["train", "--config", "cfg.json", "--init-from", "nomodel.h5", "--out", "n"], in: dir)
        #expect(none.status == 2)
        #expect(none.stderr.contains("nomodel.h5: /model: missing"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/s") && !FileManager.default.fileExists(atPath: dir + "/n"))
    }

    @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
    func trainsOnAnH5pyDataFileAndRejectsBadLabels() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.python("""
            import h5py, numpy as np
            rng = np.random.default_rng(0)
            for name, n, top in [("train.h5", 40, 10), ("test.h5", 16, 10), ("bad.h5", 16, 13)]:
                with h5py.File(name, "w") as f:
                    f["images"] = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
                    f["labels"] = rng.integers(0, top, n, dtype=np.int64)
            """, in: dir) == 0)
        write("""
            {"data": {"dataset": "hdf5", "path": "train.h5", "test_path": "test.h5", "batch_size": 8},
             "epochs": 2, "checkpoint": {"every_steps": 3}}
            """, to: dir + "/h5.json")
        let r = try Binary.ckpt(["train", "--config", "h5.json", "--out", "a"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("16 test images"), "\(r.stdout)")
        let resumed = try Binary.ckpt(["resume", "a/step-3.h5", "--out", "b", "--verify", "a/epoch-2.h5"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stdout) \(resumed.stderr)")
        write(#"{"data": {"dataset": "hdf5", "path": "train.h5", "test_path": "bad.h5"}}"#, to: dir + "/bad.json")
        let bad = try Binary.ckpt(["train", "--config", "bad.json", "--out", "c"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("test sample") && bad.stderr.contains("10 outputs"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/c"))
    }
}
