import Ckpt
@_spi(Testing) @testable import CkptFormat
import CkptTestSupport
import Foundation
import Testing

/// A data file compressed with h5py's lzf filter, which Debian's libhdf5 cannot run: HDF5's
/// own error names only its plugin directory ("can't open directory: .../plugins"); ckpt's
/// names the filter and what to do, in the isolated child's copy and in-process alike.
@Suite(.serialized, .enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
struct MissingFilterTests {
    static let words = "/images: unreadable: cannot read dataset: filter lzf (id 32000, h5py-only) is not available in libhdf5; re-save with gzip or no compression"

    func lzfDataFile(in dir: String) throws -> String {
        let path = dir + "/lzf.h5"
        let script = """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f.create_dataset("images", data=np.zeros((4, 3, 32, 32), np.uint8), compression="lzf")
                f.create_dataset("labels", data=np.arange(4, dtype=np.int64))
            """
        let r = try Subprocess.run(try #require(Tools.python3), ["-c", script, path])
        try #require(r.status == 0, "\(r.stderr)")
        return path
    }

    @Test(arguments: [false, true])
    func theErrorNamesTheFilter(inProcess: Bool) throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try lzfDataFile(in: dir)
        let error = ForeignFile.options.withValue(ForeignFile.Options(parseInProcess: inProcess)) {
            #expect(throws: CheckpointError.self) { try DataFile.load(path: path, classCount: 10) }
        }
        #expect(error.map { "\($0)" } == "\(path): \(Self.words)")
    }

    @Test(.enabled(if: BuiltProducts.ckpt != nil, "ckpt is not built (swift build -c release --product ckpt)"))
    func trainSaysSoBeforeTraining() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = try lzfDataFile(in: dir)
        let config = dir + "/c.json"
        try #"{"data": {"dataset": "hdf5", "path": "\#(path)"}, "epochs": 1}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try Subprocess.run(try #require(BuiltProducts.ckpt), ["train", "--config", config, "--out", dir + "/out"])
        #expect(r.status == 2)
        #expect(r.stderr == "ckpt train: \(path): \(Self.words)\n", "\(r.stderr)")
    }
}
