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
        (#"{"model": {"type": "mlp", "sizes": [100, 10]}, "data": {"dataset": "synthetic"}}"#, "model.sizes[0]"),
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
