import ArgumentParser
import Ckpt
import CkptTestSupport
import Foundation
import Testing
@testable import CkptCLI

/// `ckpt convert` both ways, against the reference package's file in fixtures/safetensors.
@Suite struct ConvertCommandTests {
    func scratch() -> String { makeScratchDirectory("ckpt-convert") }

    func run(_ args: [String]) throws {
        var command = try CkptCommand.parseAsRoot(["convert"] + args)
        try command.run()
    }

    @Test func safetensorsToCheckpointAndBackIsBitwise() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tiny = Repository.path("fixtures/safetensors/tiny.safetensors")
        try run([tiny, dir + "/m.h5"])
        let c = try CheckpointFile.load(dir + "/m.h5")
        #expect(c.optimizer == nil && c.progress == nil)   // model only
        let (reference, _) = try Safetensors.read(tiny)
        #expect(c.model.bitwiseEqual(reference))
        #expect(c.metadata["safetensors_metadata"]?.stringValue?.contains("\"source\":") == true)
        try run([dir + "/m.h5", dir + "/back.safetensors"])
        let (back, meta) = try Safetensors.read(dir + "/back.safetensors")
        #expect(back.bitwiseEqual(reference))
        #expect(meta.map(\.key) == ["format"])
    }

    @Test(arguments: [["a.h5", "b.h5"], ["a.safetensors", "b.safetensors"], ["a.txt", "b.safetensors"], ["a.h5", "b.bin"]])
    func refusesAmbiguousDirections(_ args: [String]) {
        #expect(throws: (any Error).self) { _ = try CkptCommand.parseAsRoot(["convert"] + args) }
    }

    @Test func hostileInputExitsWithStatus2AndWritesNothing() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var bytes: [UInt8] = [200, 0, 0, 0, 0, 0, 0, 0]   // header length past the end
        bytes += Array("{}".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/bad.safetensors"))
        #expect {
            try run([dir + "/bad.safetensors", dir + "/out.h5"])
        } throws: { e in
            (e as? ExitCode) == ExitCode(2)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.h5"))
    }
}
