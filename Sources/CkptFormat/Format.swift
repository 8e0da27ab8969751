import CkptCore
import HDF5
