import CkptTestSupport
import Foundation
import HDF5
import Testing

/// h5py's bool is an int8 enum {FALSE: 0, TRUE: 1}. A crafted file can name both members
/// FALSE (libhdf5 reads the names as stored): classifying that type must say "not a bool",
/// never trap on the repeated name.
@Suite struct EnumMemberNameTests {
    @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
    func repeatedEnumMemberNameIsNotABoolAndDoesNotTrap() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/enum.h5"
        // h5py's default (earliest) format: object headers without checksums, enum member
        // names stored NUL-padded to 8 bytes: "FALSE\0\0\0" "TRUE\0\0\0\0".
        let script = "import sys, h5py, numpy as np\nwith h5py.File(sys.argv[1], 'w') as f: f['b'] = np.array([True, False])"
        let r = try #require(Subprocess.runTool("python3", ["-c", script, path]))
        #expect(r.status == 0, "\(r.output)")
        #expect(try HDF5File.open(path).root().openDataset("b").elementType() == .bool)

        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let trueName = Array("TRUE\0\0\0\0".utf8), falseName = Array("FALSE\0\0\0".utf8)
        let at = try #require((0...(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == trueName })
        bytes.replaceSubrange(at..<(at + 8), with: falseName)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let f = try HDF5File.open(path)
        defer { try? f.close() }
        #expect(try f.root().openDataset("b").elementType() != .bool)
    }
}
