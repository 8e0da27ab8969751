import CkptTestSupport
import Foundation
import Testing
import CkptCore

/// `ckpt train` then `ckpt resume --verify`, through the built binary.
@Suite(.serialized) struct TrainResumeTests {
    @Test func trainWritesEpochAndStepCheckpointsAndThePlot() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        let r = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(files(in: dir + "/a") == ["epoch-1.h5", "epoch-2.h5", "epoch-3.h5", "lr.svg",
                                          "step-10.h5", "step-15.h5", "step-20.h5", "step-5.h5"])
        #expect(r.stdout.contains("epoch 1/3: train loss "))
        #expect(r.stdout.contains("accuracy "))
        #expect(r.stdout.contains("Finished Training: 3 epochs, 24 steps"))
        let svg = try String(contentsOfFile: dir + "/a/lr.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
    }

    /// The async writer is one thread kept between saves: when the run ends it must leave
    /// nothing that stops libhdf5 from closing (once it printed "HDF5: infinite loop closing
    /// library" at exit), and its files must equal a synchronous run's.
    @Test func anAsyncRunEndsCleanlyWithTheSyncRunsFiles() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        let sync = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir)
        #expect(sync.status == 0, "\(sync.stderr)")
        let async = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "b", "--async-save"], in: dir)
        #expect(async.status == 0, "\(async.stderr)")
        #expect(async.stderr.isEmpty, "\(async.stderr)")
        #expect(files(in: dir + "/b") == files(in: dir + "/a"))
        for name in files(in: dir + "/a") where name.hasSuffix(".h5") {
            let diff = try Binary.ckpt(["diff", "a/" + name, "b/" + name], in: dir)
            #expect(diff.status == 0, "\(name): \(diff.stdout) \(diff.stderr)")
        }
    }

    @Test func resumeFromTheMiddleVerifiesAgainstTheUninterruptedRun() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir).status == 0)
        for start in ["a/epoch-1.h5", "a/step-5.h5", "a/step-15.h5"] {
            let out = "b-" + (start as NSString).lastPathComponent
            let r = try Binary.ckpt(["resume", start, "--out", out, "--verify", "a/epoch-3.h5"], in: dir)
            #expect(r.status == 0, "\(start): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("lr sequence identical for 24 steps; 4 model tensors and 4 optimizer tensors bit-identical"),
                    "\(r.stdout)")
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(out)/epoch-3.h5"))
            // The composition: `ckpt diff` finds the files identical, `ckpt verify` finds them sound.
            let diff = try Binary.ckpt(["diff", "\(out)/epoch-3.h5", "a/epoch-3.h5"], in: dir)
            #expect(diff.status == 0, "\(diff.stdout) \(diff.stderr)")
        }
        let written = files(in: dir + "/a").filter { $0.hasSuffix(".h5") }.map { "a/" + $0 }
        let verify = try Binary.ckpt(["verify"] + written, in: dir)
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        // Resuming a mid-epoch checkpoint prints where it starts.
        let mid = try Binary.ckpt(["resume", "a/step-5.h5", "--epochs", "1", "--out", "c"], in: dir)
        #expect(mid.stdout.contains("resuming a/step-5.h5: epoch 0 of 1 complete, step 5 (5 of 8 batches into epoch 1)"), "\(mid.stdout)")
        #expect(files(in: dir + "/c") == ["epoch-1.h5", "lr.svg"])
    }

    @Test func resumeWithAChangedConfigReportsTheFirstDivergingStep() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        write(tinyConfig.replacingOccurrences(of: "\"gamma\": 0.9", with: "\"gamma\": 0.8"), to: dir + "/changed.json")
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir).status == 0)
        #expect(try Binary.ckpt(["train", "--config", "changed.json", "--out", "b", "--epochs", "1"], in: dir).status == 0)
        let r = try Binary.ckpt(["resume", "b/epoch-1.h5", "--epochs", "3", "--verify", "a/epoch-3.h5", "--json"], in: dir)
        #expect(r.status == 1, "\(r.stderr)")
        // Epoch 1 ran at 0.01 in both; epoch 2's first step (step 8) used 0.01*0.8 vs 0.01*0.9.
        #expect(r.stderr.contains("lr differs at step 8, group 0: \(0.01 * 0.8) here, \(0.01 * 0.9) in the reference"), "\(r.stderr)")
        let report = try JSON.parse(r.stdout).dictValue
        let verification = report?["verification"]?.dictValue
        #expect(verification?["identical"] == false)
        #expect(verification?["lr_divergence"]?.dictValue?["step"] == 8)
        #expect(verification?["lr_divergence"]?.dictValue?["value"]?.doubleValue == 0.01 * 0.8)
    }

    @Test func sameConfigTwiceGivesBitIdenticalRuns() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a"], in: dir).status == 0)
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "b"], in: dir).status == 0)
        // A directory resumes from its newest checkpoint: nothing left to train, only the check.
        let r = try Binary.ckpt(["resume", "b", "--verify", "a/epoch-3.h5"], in: dir)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("resuming b/epoch-3.h5"), "\(r.stdout)")
        #expect(r.stdout.contains("lr sequence identical for 24 steps"))
    }

    /// LeNet at batch 20: each batch is three chunks spread over the workers. A run trained on
    /// one thread and one trained on two, interrupted and resumed on three, end bit-identical.
    @Test func threadCountNeverChangesTheBits() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write("""
            {"model": {"type": "lenet"},
             "data": {"dataset": "synthetic", "train_size": 60, "test_size": 20, "batch_size": 20},
             "optimizer": {"type": "SGD", "lr": 0.01, "momentum": 0.9}, "epochs": 2}
            """, to: dir + "/cfg.json")
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a", "--threads", "1"], in: dir).status == 0)
        #expect(try Binary.ckpt(["train", "--config", "cfg.json", "--out", "b", "--threads", "2", "--epochs", "1"], in: dir).status == 0)
        let r = try Binary.ckpt(["resume", "b/epoch-1.h5", "--epochs", "2", "--threads", "3", "--verify", "a/epoch-2.h5"], in: dir)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("lr sequence identical for 6 steps; 10 model tensors and 10 optimizer tensors bit-identical"),
                "\(r.stdout)")
    }

    @Test func jsonOutputParsesBack() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        let t = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "a", "--json"], in: dir)
        #expect(t.status == 0)
        let train = try #require(try JSON.parse(t.stdout).dictValue)
        #expect(train["epoch"] == 3 && train["global_step"] == 24 && train["interrupted"] == false)
        #expect(train["checkpoints"]?.arrayValue?.count == 7)
        #expect(train["checkpoints"]?.arrayValue?.last == "a/epoch-3.h5")
        #expect((train["test_accuracy"]?.doubleValue).map { (0...1).contains($0) } == true)
        #expect(t.stderr.contains("saved a/epoch-3.h5"))
        let epochs = try #require(train["epochs"]?.arrayValue)
        #expect(epochs.count == 3)
        #expect(epochs.last?.dictValue?["epoch"] == 3)
        #expect(epochs.last?.dictValue?["lr"]?.arrayValue?.first?.doubleValue == 0.01 * 0.9 * 0.9 * 0.9)

        let r = try Binary.ckpt(["resume", "a/step-10.h5", "--out", "b", "--verify", "a/epoch-3.h5", "--json"], in: dir)
        #expect(r.status == 0)
        let resume = try #require(try JSON.parse(r.stdout).dictValue)
        #expect(resume["resumed_from"] == "a/step-10.h5")
        let v = try #require(resume["verification"]?.dictValue)
        #expect(v["identical"] == true && v["lr_steps"] == 24 && v["model_tensors"] == 4 && v["optimizer_tensors"] == 4)
        #expect(v["divergence"] == StateValue.none)
    }

    /// A signalled run: its exit, everything it printed, and what its save line says.
    struct Stopped {
        var process: Process
        var stdout: String
        var stderr: String
        /// "interrupted by NAME at epoch E, batch B: saved a/step-G.h5; continue with ..."
        var line: Substring
        var epoch: Int, batch: Int, globalStep: Int
        var path: String
    }

    /// Starts a 200-epoch run of `tinyConfig` logging every batch (8 per epoch) into `DIR/a`,
    /// sends `signal` once its first batch is logged (or closes its stdout, for SIGPIPE), and
    /// reads its save line. Under load the signal may land in any epoch: callers check what
    /// the line says (epoch, batch and the step in the file name agree), not a fixed epoch.
    static func trainUntilSignal(_ signal: Int32, in dir: String) throws -> Stopped {
        let long = tinyConfig.replacingOccurrences(of: "\"epochs\": 3", with: "\"epochs\": 200, \"log_every\": 1")
        write(long, to: dir + "/long.json")
        let (p, out, err) = try Binary.launch("ckpt", ["train", "--config", "long.json", "--out", "a"], in: dir)
        var seen = ""
        let handle = out.fileHandleForReading
        while !seen.contains("[1,     1] loss") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        if signal == SIGPIPE {
            try handle.close()  // the next line the run prints raises SIGPIPE in it
        } else {
            kill(p.processIdentifier, signal)
            seen += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        }
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let line = try #require((seen + errors).split(separator: "\n").first { $0.hasPrefix("interrupted by ") },
                                "\(seen)\(errors)")
        // "... at epoch E, batch B: saved a/step-G.h5; ..."
        let words = line.split(separator: " ")
        let at = try #require(words.firstIndex(of: "epoch"))
        let epoch = try #require(Int(words[at + 1].dropLast()))
        let batch = try #require(Int(words[at + 3].dropLast()))
        let path = try #require(words.first { $0.hasPrefix("a/step-") }).dropLast()
        let step = try #require(Int(path.dropFirst("a/step-".count).dropLast(".h5".count)))
        return Stopped(process: p, stdout: seen, stderr: errors, line: line, epoch: epoch, batch: batch,
                       globalStep: step, path: String(path))
    }

    @Test func ctrlCSavesAStateThatResumesExactly() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try Self.trainUntilSignal(SIGINT, in: dir)
        #expect(s.process.terminationStatus == 130, "\(s.stdout)")
        #expect(s.line.hasPrefix("interrupted by SIGINT (Ctrl-C) at epoch "), "\(s.line)")
        #expect(s.globalStep == (s.epoch - 1) * 8 + s.batch, "\(s.line)")
        #expect(files(in: dir + "/a").contains((s.path as NSString).lastPathComponent))
        #expect(!files(in: dir + "/a").contains { $0.contains(".tmp") })
        // The saved file resumes exactly: continue it to the end of the next epoch, compare
        // with a straight run of as many epochs.
        let epochs = s.epoch + 1
        #expect(try Binary.ckpt(["train", "--config", "long.json", "--epochs", "\(epochs)", "--out", "ref"], in: dir).status == 0)
        let r = try Binary.ckpt(["resume", s.path, "--epochs", "\(epochs)", "--out", "b", "--verify", "ref/epoch-\(epochs).h5"], in: dir)
        #expect(r.status == 0, "\(s.path): \(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("lr sequence identical for \(8 * epochs) steps"), "\(r.stdout)")
    }

    /// What a scheduler (SLURM, Kubernetes) or a closed terminal sends saves like Ctrl-C; the
    /// exit status names the signal (128 + its number).
    @Test(arguments: [(SIGTERM, Int32(143), "SIGTERM"), (SIGHUP, Int32(129), "SIGHUP")])
    func preemptionSignalsSaveLikeCtrlC(signal: Int32, status: Int32, name: String) throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try Self.trainUntilSignal(signal, in: dir)
        #expect(s.process.terminationReason == .exit && s.process.terminationStatus == status, "\(s.stdout)")
        #expect(s.line.hasPrefix("interrupted by \(name) at epoch "), "\(s.line)")
        #expect(s.globalStep == (s.epoch - 1) * 8 + s.batch, "\(s.line)")
        #expect(try Binary.ckpt(["verify", s.path], in: dir).status == 0)
    }

    /// `ckpt train | head`: the reader of stdout goes away. The run saves like Ctrl-C, says
    /// where on stderr, and ends by SIGPIPE itself (a shell reports 141), as `inspect | head` does.
    @Test func closedStdoutSavesAndEndsBySIGPIPE() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try Self.trainUntilSignal(SIGPIPE, in: dir)
        #expect(s.process.terminationReason == .uncaughtSignal && s.process.terminationStatus == SIGPIPE,
                "\(s.process.terminationReason) \(s.process.terminationStatus): \(s.stderr)")
        #expect(s.line.hasPrefix("interrupted by SIGPIPE (stdout closed) at epoch "), "\(s.line)")
        #expect(s.stderr.split(separator: "\n").count == 1, "\(s.stderr)")  // that line, nothing else
        #expect(s.globalStep == (s.epoch - 1) * 8 + s.batch, "\(s.line)")
        #expect(try Binary.ckpt(["verify", s.path], in: dir).status == 0)
    }

    @Test func customLoopExampleSavesEveryEpochAndResumes() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try Binary.run("custom-loop", ["run", "2"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("starting at epoch 1 of 2"))
        #expect(files(in: dir + "/run") == ["epoch-1.h5", "epoch-2.h5"])
        let second = try Binary.run("custom-loop", ["run", "4"], in: dir)
        #expect(second.stdout.hasPrefix("starting at epoch 3 of 4"), "\(second.stdout)")
        #expect(try Binary.run("custom-loop", ["straight", "4"], in: dir).status == 0)
        // The interrupted-and-resumed run ends bit-identical to the straight one (a run of the
        // caller's own network holds no config, so `ckpt diff` compares, not `resume --verify`).
        let r = try Binary.ckpt(["diff", "run/epoch-4.h5", "straight/epoch-4.h5"], in: dir)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("identical"), "\(r.stdout)")
    }
}

/// CIFAR-10 is used when its binaries are in the default root (here tiny fakes in the real
/// record format), the synthetic data otherwise; both say which.
@Suite(.serialized) struct DatasetChoiceTests {
    static func writeFakeCIFAR(at root: String, recordsPerFile: Int) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var g = SystemRandomNumberGenerator()
        for name in (1...5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
            var bytes: [UInt8] = []
            for r in 0..<recordsPerFile {
                bytes.append(UInt8(r % 10))
                bytes += (0..<3072).map { _ in UInt8.random(in: 0...255, using: &g) }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + name))
        }
    }

    @Test func cifarWhenPresentInTheDefaultRootElseSynthetic() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // No dataset key: CIFAR-10 if ./CIFAR10 has it, else the synthetic data (capped by `limit`).
        write(#"{"data": {"batch_size": 8, "limit": 16}, "epochs": 1}"#, to: dir + "/cfg.json")
        let fallback = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "s"], in: dir)
        #expect(fallback.status == 0, "\(fallback.stderr)")
        #expect(fallback.stdout.hasPrefix("no CIFAR-10 binaries under ./CIFAR10: training on the embedded synthetic data"))
        #expect(fallback.stdout.contains("the first 16 used"), "\(fallback.stdout)")
        try Self.writeFakeCIFAR(at: dir + "/CIFAR10", recordsPerFile: 8)
        let r = try Binary.ckpt(["train", "--config", "cfg.json", "--out", "c"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("data: CIFAR-10 train at ./CIFAR10"), "\(r.stdout)")
        #expect(r.stdout.contains("8 test images") && r.stdout.contains("1 epoch of 2 batches"), "\(r.stdout)")
        let resumed = try Binary.ckpt(["resume", "c/epoch-1.h5", "--epochs", "2", "--out", "d"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // The saved config names the dataset, so a resume never falls back silently.
        let inspect = try Binary.ckpt(["inspect", "c/epoch-1.h5", "--json"], in: dir)
        #expect(inspect.stdout.contains("cifar10"))
    }
}

/// On a terminal, a progress bar; elsewhere plain lines (the other tests read those).
@Suite struct ProgressBarTests {
    @Test(.enabled(if: Tools.script != nil, "util-linux `script` (to run under a pseudo-terminal) is not installed"))
    func terminalShowsABarWithRateAndETA() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        write(tinyConfig, to: dir + "/cfg.json")
        let ckpt = try #require(Binary.path("ckpt"))
        let r = try Binary.run(try #require(Tools.script), ["-qec", "\(ckpt) train --config cfg.json --out a", "/dev/null"], in: dir)
        #expect(r.status == 0, "\(r.stdout)")
        // The bar is redrawn in place: carriage return, erase line, then the fields.
        #expect(r.stdout.contains("\r\u{1B}[2Kepoch 1/3 ["), "\(r.stdout)")
        #expect(r.stdout.contains(" img/s ETA "))
        #expect(r.stdout.contains("loss ") && r.stdout.contains(" lr 0.01 "))
        #expect(r.stdout.contains("saved a/epoch-3.h5"))
    }
}

@Suite struct ReadmeTests {
    /// The README shows the custom loop verbatim, so the example it shows is the one the tests run.
    @Test func readmeShowsTheCustomLoopExample() throws {
        let root = Repository.root
        let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
        let example = try String(contentsOfFile: root + "/Examples/CustomLoop/main.swift", encoding: .utf8)
        #expect(readme.contains("```swift\n" + example + "```"))
        #expect(example.split(separator: "\n").count <= 35)
    }
}
