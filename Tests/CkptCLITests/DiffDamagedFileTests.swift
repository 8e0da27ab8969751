import CkptCore
import CkptFormat
import CkptTestSupport
import Foundation
import HDF5
import Testing
@testable import CkptCLI

/// `ckpt diff` with a file whose tensor bytes no longer match their checksums (damaged, or
/// edited in place with h5py): it compares the bytes as they are, names the tensor as a
/// difference, warns that its checksum does not match (text and --json) and exits 1, while
/// loading for a resume keeps refusing the file.
@Suite struct DiffDamagedFileTests {
    let dir: String
    let reference: String
    let edited: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-diff-damaged-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        reference = dir + "/ref.h5"
        edited = dir + "/edited.h5"
        try CheckpointFile.save(SampleCheckpoints.checkpoint(), to: reference)
        try FileManager.default.copyItem(atPath: reference, toPath: edited)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: dir) }

    static let hasH5py = Tools.hasH5py

    /// Adds 1 to element 0 of `/model/fc1.bias` ([1.0, 1.25, 1.5]) in place: only the tensor's
    /// bytes change, as an h5py edit of an element changes them.
    func editInSwift() throws {
        let file = try HDF5File.open(edited)
        let offset = try #require(try file.root().openGroup("model").openDataset("fc1.bias").dataOffset())
        try file.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: edited))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: withUnsafeBytes(of: Float(2).bitPattern.littleEndian) { Data($0) })
    }

    func editWithH5py() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import sys, h5py
            with h5py.File(sys.argv[1], "r+") as f:
                d = f["model/fc1.bias"]
                d[0] = d[0] + 1
            """, edited]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    func checkDiff() throws {
        let warning = "\(edited): /model/fc1.bias: its stored checksum (xxh64:"
        let r = runCommand { try DiffCommand.parse([reference, edited]).execute(console: $0, reader: .hdf5) }
        #expect(r.status == .failure)
        #expect(r.out.contains("  fc1.bias: float32 [3]: 1 of 3 elements differ, max abs 1, max rel 0.5; first at [0]: 1.0 vs 2.0"), "\(r.out)")
        #expect(r.out.hasSuffix("1 difference found\n"), "\(r.out)")
        #expect(r.err.contains("ckpt diff: warning: \(warning)"), "\(r.err)")
        #expect(r.err.contains("does not match its bytes (xxh64:"), "\(r.err)")

        let j = runCommand { try DiffCommand.parse([reference, edited, "--json"]).execute(console: $0, reader: .hdf5) }
        #expect(j.status == .failure)
        let json = try #require(try JSON.parse(j.out).dictValue)
        #expect(json["differences"] == .int(1))
        let listed = try #require(json["warnings"]?.arrayValue)
        let warnings = listed.compactMap { $0.stringValue }
        #expect(warnings.count == 1 && warnings[0].hasPrefix(warning), "\(warnings)")
        #expect(j.err.contains("ckpt diff: warning: \(warning)"))

        // The edited file against itself: no difference, but the checksum still warns (exit 1).
        let same = runCommand { try DiffCommand.parse([edited, edited]).execute(console: $0, reader: .hdf5) }
        #expect(same.status == .failure && same.out.hasSuffix("identical\n"), "\(same.out)")
        #expect(same.err.components(separatedBy: "ckpt diff: warning:").count == 3, "\(same.err)")

        // An intact pair still diffs clean, with no warnings.
        let clean = runCommand { try DiffCommand.parse([reference, reference, "--json"]).execute(console: $0, reader: .hdf5) }
        #expect(clean.status == .success && clean.err.isEmpty)
        #expect(try JSON.parse(clean.out).dictValue?["warnings"] == .list([]))

        // Loading for training (resume, resume --verify's reference) still refuses the file.
        #expect(throws: CheckpointError.self) { try CheckpointFile.load(edited) }
    }

    @Test func aFileEditedInSwiftIsComparedWithAWarning() throws {
        defer { cleanUp() }
        try editInSwift()
        try checkDiff()
    }

    @Test(.enabled(if: hasH5py, "needs python3 with h5py"))
    func aFileEditedWithH5pyIsComparedWithAWarning() throws {
        defer { cleanUp() }
        try editWithH5py()
        try checkDiff()
    }
}
