import CkptTestSupport
import Foundation
import HDF5

func scratchDirectory() -> String {
    let dir = NSTemporaryDirectory() + "hdf5-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

let fixturesDirectory = Repository.path("fixtures/h5py")
