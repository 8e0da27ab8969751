import CkptTestSupport
import Foundation
import Testing
import Ckpt
@testable import CkptCLI

/// `/averaged_model` through the commands: `inspect` shows it, `diff` compares it tensor by
/// tensor, `convert --averaged` exports it under the model's names.
@Suite struct AveragedModelCommandTests {
    static func averaged(_ c: Checkpoint, n: Int64, bump: Float = 0) -> Checkpoint {
        var c = c
        var a: StateDict = ["n_averaged": .tensor(TensorData(shape: [], storage: .int64([n])))]
        for (name, v) in c.model {
            var t = v.tensorValue!
            if case .float32(let f) = t.storage { t.storage = .float32(f.map { $0 * 0.5 + bump }) }
            a["module." + name] = .tensor(t)
        }
        c.averagedModel = a
        return c
    }

    @Test func inspectShowsTheAverageAndDiffComparesIt() throws {
        var files = MemoryFiles()
        let base = Self.averaged(SampleCheckpoints.checkpoint(), n: 3)
        let a = files.add("a.h5", base)
        let b = files.add("b.h5", Self.averaged(SampleCheckpoints.checkpoint(), n: 4, bump: 1))
        let inspect = try InspectCommand.parse([a])
        let r = runCommand { try inspect.execute(console: $0, reader: files.reader) }
        #expect(r.status == .success)
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.contains("averaged_model: n_averaged 3, 3 tensors, 15 elements"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("  module.fc2.weight  float32  [2, 3]") })

        let diff = try DiffCommand.parse([a, b])
        let d = runCommand { try diff.execute(console: $0, reader: files.reader) }
        #expect(d.status == .failure)
        #expect(d.out.contains("averaged_model"), "\(d.out)")
        #expect(d.out.contains("module.fc2.weight"))
        #expect(d.out.contains("n_averaged"))
    }

    @Test func convertAveragedWritesTheModuleTensorsUnderModelNames() throws {
        let dir = NSTemporaryDirectory() + "ckpt-averaged-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = Self.averaged(SampleCheckpoints.checkpoint(), n: 2)
        try CheckpointFile.save(c, to: dir + "/run.h5")
        var command = try CkptCommand.parseAsRoot(["convert", dir + "/run.h5", dir + "/avg.safetensors", "--averaged"])
        try command.run()
        let (tensors, _) = try Safetensors.read(dir + "/avg.safetensors")
        #expect(tensors.keys == c.model.keys)
        #expect(tensors["fc2.weight"]?.tensorValue == c.averagedModel?["module.fc2.weight"]?.tensorValue)
        // A checkpoint without an average is refused, naming the section.
        try CheckpointFile.save(SampleCheckpoints.checkpoint(), to: dir + "/plain.h5")
        var plain = try CkptCommand.parseAsRoot(["convert", dir + "/plain.h5", dir + "/p.safetensors", "--averaged"])
        #expect(throws: (any Error).self) { try plain.run() }
        #expect(!FileManager.default.fileExists(atPath: dir + "/p.safetensors"))
        #expect(throws: (any Error).self) { _ = try CkptCommand.parseAsRoot(["convert", "a.safetensors", "b.h5", "--averaged"]) }
    }
}
