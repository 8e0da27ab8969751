import CHDF5

/// The identifiers the writer passes for every group, dataset, link and attribute, built
/// once per process: creation property lists, the UTF-8 string type, the scalar dataspace.
/// HDF5 copies each into the object it creates, so sharing them is safe; building and
/// closing them per object was about 20% of the instructions of a save of 10,000 small
/// tensors (callgrind, 2026-12). They are never closed: the library releases them at exit.
/// One that could not be built is -1, and the call that needs it reports the error.
enum HDF5SharedIDs {
    /// Links with UTF-8 names (as h5py writes them), so unicode keys round-trip.
    static let utf8Link = make(ckpt_H5P_LINK_CREATE()) { H5Pset_char_encoding($0, H5T_CSET_UTF8) }
    /// Attributes with UTF-8 names (h5py sets the same).
    static let utf8Attribute = make(ckpt_H5P_ATTRIBUTE_CREATE()) { H5Pset_char_encoding($0, H5T_CSET_UTF8) }
    /// Groups that track link and attribute creation order, so both list in write order.
    static let orderedGroup = make(ckpt_H5P_GROUP_CREATE()) {
        min(H5Pset_link_creation_order($0, ckpt_H5P_CRT_ORDER_TRACKED_INDEXED()),
            H5Pset_attr_creation_order($0, ckpt_H5P_CRT_ORDER_TRACKED_INDEXED()))
    }
    /// Contiguous datasets that track attribute order, allocated at write time with no fill
    /// pass: the bytes are written once, in one call.
    static let unfilledDataset = make(ckpt_H5P_DATASET_CREATE()) {
        min(H5Pset_attr_creation_order($0, ckpt_H5P_CRT_ORDER_TRACKED_INDEXED()), H5Pset_fill_time($0, H5D_FILL_TIME_NEVER))
    }
    /// The same with HDF5's default fill (required for variable-length types).
    static let filledDataset = make(ckpt_H5P_DATASET_CREATE()) {
        H5Pset_attr_creation_order($0, ckpt_H5P_CRT_ORDER_TRACKED_INDEXED())
    }

    /// Variable-length UTF-8 strings (h5py's `str` dtype).
    static let utf8String: hid_t = {
        HDF5Library.ensure()
        return ckpt_make_vlen_utf8_type()
    }()
    /// A scalar dataspace (one element).
    static let scalarSpace: hid_t = {
        HDF5Library.ensure()
        return H5Screate(ckpt_H5S_SCALAR())
    }()

    private static func make(_ cls: hid_t, _ configure: (hid_t) -> herr_t) -> hid_t {
        HDF5Library.ensure()
        let p = H5Pcreate(cls)
        guard p >= 0 else { return -1 }
        guard configure(p) >= 0 else {
            H5Pclose(p)
            return -1
        }
        return p
    }
}
