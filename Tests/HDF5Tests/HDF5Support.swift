import CkptTestSupport
import Foundation
import HDF5

func scratchDirectory() -> String { makeScratchDirectory("hdf5-tests") }

let fixturesDirectory = Repository.path("fixtures/h5py")
