import CkptTestSupport
import CkptCore
import CkptFormat
import Foundation
import HDF5
import Testing
@testable import CkptCLI

/// A real checkpoint with two damaged tensors (a flipped bit in each one's data; the rest of
/// the file intact): `verify` names both, `inspect` still shows the file, names both on stderr
/// and exits 1.
@Suite struct DamagedFileTests {
    let dir: String
    let path: String
    let damaged = ["/model/fc1.weight", "/optimizer/state/1/momentum_buffer"]

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-damaged-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        path = dir + "/run.h5"
        try CheckpointFile.save(SampleCheckpoints.checkpoint(), to: path)
        let file = try HDF5File.open(path)
        let root = try file.root()
        var offsets: [Int] = []
        for p in damaged {
            let parts = p.split(separator: "/").map(String.init)
            var group = root
            for g in parts.dropLast() { group = try group.openGroup(g) }
            offsets.append(try #require(try group.openDataset(parts.last!).dataOffset()))
        }
        try file.close()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for o in offsets { bytes[o + 1] ^= 0x04 }
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }

    @Test func theLibraryListsEveryDamagedTensor() throws {
        defer { cleanUp() }
        #expect(throws: CheckpointError.self) { try CheckpointFile.load(path) }
        let (checkpoint, found) = try CheckpointFile.loadListingDamage(path)
        #expect(found.compactMap(\.path) == damaged)
        #expect(checkpoint.model["fc1.weight"] != nil)
    }

    @Test func verifyNamesBoth() throws {
        defer { cleanUp() }
        let command = try VerifyCommand.parse([path])
        let r = runCommand { try command.execute(console: $0, reader: .hdf5) }
        #expect(r.status == .failure)
        #expect(r.out.hasPrefix("\(path): 2 problems\n"), "\(r.out)")
        for p in damaged { #expect(r.out.contains("  \(path): \(p): checksum mismatch (stored xxh64:"), "\(r.out)") }
    }

    @Test func inspectShowsTheFileAndWarns() throws {
        defer { cleanUp() }
        let command = try InspectCommand.parse([path, "model"])
        let r = runCommand { try command.execute(console: $0, reader: .hdf5) }
        #expect(r.status == .failure)
        #expect(r.out.contains("fc1"), "\(r.out)")
        for p in damaged { #expect(r.err.contains("ckpt inspect: warning: \(path): \(p): checksum mismatch"), "\(r.err)") }
        let json = try InspectCommand.parse([path, "--json"])
        let j = runCommand { try json.execute(console: $0, reader: .hdf5) }
        let listed = try #require(try JSON.parse(j.out).dictValue?["damaged_tensors"]?.arrayValue)
        #expect(listed == damaged.map { .string($0) })
    }
}
