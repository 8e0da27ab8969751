import ArgumentParser
import Ckpt
import CkptTestSupport
import Foundation
import Testing
@testable import CkptCLI

/// Cross-framework resume against PyTorch (`fixtures/make_pt_resume_fixture.py`): a LeNet run
/// PyTorch saved with plain `torch.save({"model", "optimizer", "scheduler", "epoch": 2})`,
/// converted with `--config` and continued by `ckpt resume` to 4 epochs, must use PyTorch's
/// lr at every step bit for bit and end with PyTorch's parameters within float32 tolerance.
@Suite struct TorchResumeTests {
    static let fixture = Repository.path("fixtures/torch/resume")

    func run(_ args: [String]) throws {
        var command = try CkptCommand.parseAsRoot(args)
        try command.run()
    }

    /// The fixture's config with the data path made absolute (tests run from any directory).
    static func config(in dir: String) throws -> String {
        var text = try String(contentsOfFile: fixture + "/config.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"fixtures/torch/resume/data.h5\"", with: "\"\(fixture)/data.h5\"")
        let path = dir + "/cfg.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func ckptResumeContinuesAPyTorchRunAsPyTorchDid() throws {
        let dir = NSTemporaryDirectory() + "ckpt-torch-resume-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Self.config(in: dir)
        try run(["convert", Self.fixture + "/lenet_epoch2.pt", dir + "/run.h5", "--config", cfg])
        let converted = try CheckpointFile.load(dir + "/run.h5")
        #expect(converted.progress?["epoch"] == 2 && converted.progress?["global_step"] == 4)
        try run(["resume", dir + "/run.h5", "--epochs", "4", "--out", dir + "/out"])
        let done = try CheckpointFile.load(dir + "/out/epoch-4.h5")

        let expected = try JSON.parse(String(contentsOfFile: Self.fixture + "/expected.json", encoding: .utf8))
        let want = expected.dictValue?["lr_after"]?.arrayValue?.compactMap { $0.stringValue } ?? []
        #expect(want.count == 4)
        guard case .float64(let lr)? = done.progress?["lr"]?.tensorValue?.storage else { Issue.record("no lr history"); return }
        let got = lr.suffix(want.count).map { Self.hex($0) }
        #expect(got == want)

        guard case .dict(let reference) = try TorchFile.read(Self.fixture + "/lenet_epoch4_model.pt") else { Issue.record("not a dict"); return }
        var worst: Float = 0
        for (name, value) in reference {
            guard case .float32(let b)? = value.tensorValue?.storage,
                  case .float32(let a)? = done.model[name]?.tensorValue?.storage, a.count == b.count else {
                Issue.record("\(name): missing or not float32"); continue
            }
            for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / max(abs(y), 1e-3)) }
        }
        #expect(worst <= Self.tolerance, "largest relative difference from PyTorch \(worst)")
    }

    /// Relative to max(|PyTorch's value|, 1e-3): four SGD steps of a LeNet whose forward and
    /// backward sum in another order than PyTorch's.
    static let tolerance: Float = 1e-4

    @Test func aConfigWhoseRunDiffersIsRefusedNamingBothSides() throws {
        let dir = NSTemporaryDirectory() + "ckpt-torch-resume-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cfg = try Self.config(in: dir)
        var text = try String(contentsOfFile: cfg, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"SGD\"", with: "\"Adam\"").replacingOccurrences(of: ",\n  \"momentum\": 0.9", with: "")
        try text.write(toFile: cfg, atomically: true, encoding: .utf8)
        let c = try CheckpointFile.load(Self.fixture + "/lenet_epoch2.pt")
        do {
            _ = try ConvertCommand.resumable(c, file: "lenet_epoch2.pt", configPath: cfg)
            Issue.record("an Adam config accepted an SGD file")
        } catch {
            let text = "\(error)"
            #expect(text.contains("SGD") && text.contains("Adam"), "\(text)")
        }
        #expect {
            try run(["convert", Self.fixture + "/lenet_epoch2.pt", dir + "/run.h5", "--config", cfg])
        } throws: { e in (e as? ExitCode) == ExitCode(2) }
        #expect(!FileManager.default.fileExists(atPath: dir + "/run.h5"))
    }

    static func hex(_ d: Double) -> String {
        // Python's float.hex for normal numbers: 0x1.<13 hex digits>p<exp>.
        let bits = d.bitPattern
        let mantissa = String(bits & ((1 << 52) - 1), radix: 16)
        let exp = Int((bits >> 52) & 0x7FF) - 1023
        return (d.sign == .minus ? "-" : "") + "0x1." + String(repeating: "0", count: 13 - mantissa.count) + mantissa + "p" + (exp >= 0 ? "+" : "") + String(exp)
    }
}
