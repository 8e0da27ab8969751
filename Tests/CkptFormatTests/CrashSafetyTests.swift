import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// A save killed mid-write (SIGKILL of a child process) leaves the previous checkpoint intact
/// under the final name and only a hidden `.partial-` temporary beside it.
@Suite struct CrashSafetyTests {
    /// bench-io doubles as the child: `bench-io --write-sample PATH` saves a fixed checkpoint.
    static let child: String? = BuiltProducts.path("bench-io")

    @Test(.enabled(if: child != nil, "bench-io is not built (swift build -c release --product bench-io)"))
    func killedSaveLeavesOldFileIntact() throws {
        let child = try #require(Self.child)
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/run.h5"
        let marker = dir + "/marker"
        let old = sampleCheckpoint()
        try CheckpointFile.save(old, to: path)
        let oldBytes = try Data(contentsOf: URL(fileURLWithPath: path))

        let p = Process()
        p.executableURL = URL(fileURLWithPath: child)
        p.arguments = ["--write-sample", path, "--pause-mid-save", marker]
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker) && Date() < deadline && p.isRunning {
            usleep(10_000)
        }
        #expect(FileManager.default.fileExists(atPath: marker), "child never reached the middle of its save")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)

        // The old checkpoint is untouched and loads; the torn file is a hidden temporary.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == oldBytes)
        #expect(sameCheckpoint(old, try CheckpointFile.load(path)))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "marker" }
        let temps = names.filter { CheckpointFile.isTemporary($0) }
        #expect(temps.count == 1 && temps[0].hasPrefix(".run.h5.partial-"), "\(names)")
        #expect(Set(names) == Set(temps + ["run.h5"]))
        // The temporary is not a loadable checkpoint (it was never finished).
        #expect(throws: CheckpointError.self) { try CheckpointFile.load(dir + "/" + temps[0]) }

        // A later, uninterrupted save replaces the file completely.
        let q = Process()
        q.executableURL = URL(fileURLWithPath: child)
        q.arguments = ["--write-sample", path]
        try q.run()
        q.waitUntilExit()
        #expect(q.terminationStatus == 0)
        let new = try CheckpointFile.load(path)
        #expect(new.model.keys == ["layer0.weight", "layer1.weight", "layer2.weight", "layer3.weight"])
    }

    @Test func temporaryNamesAreRecognised() {
        #expect(CheckpointFile.isTemporary(".ckpt-0003.h5.partial-123-abc"))
        #expect(CheckpointFile.isTemporary("/runs/x/.last.h5.partial-1-2"))
        #expect(!CheckpointFile.isTemporary("ckpt-0003.h5"))
        #expect(!CheckpointFile.isTemporary(".hidden.h5"))
    }
}
