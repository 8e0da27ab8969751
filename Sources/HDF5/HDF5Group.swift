import CHDF5

/// What a link in a group points at. Soft and external links are reported, never followed
/// by `HDF5Group.openGroup` / `openDataset` (an untrusted file must not open other files).
public enum HDF5ChildKind: Sendable, Equatable {
    case group
    case dataset
    case namedDatatype
    case softLink(target: String)
    case externalLink(target: String)
    case other
}

/// An HDF5 group. Groups created here track link and attribute creation order, so children
/// and attributes list in the order they were written.
public final class HDF5Group: HDF5Object {
    /// Creates child group `name`.
    public func createGroup(_ name: String) throws -> HDF5Group {
        let loc = location.child(name)
        let gcpl = try loc.check(HDF5SharedIDs.orderedGroup, "create group property list")
        let g = try withLinkCreateList(loc) { lcpl in
            H5Gcreate2(handle.id, name, lcpl, gcpl, ckpt_H5P_DEFAULT())
        }
        if g < 0 { throw loc.error("create group") }
        return HDF5Group(handle: HDF5Handle(g) { H5Gclose($0) }, file: file, location: loc)
    }

    /// Opens child group `name` (a hard link only).
    public func openGroup(_ name: String) throws -> HDF5Group {
        let loc = location.child(name)
        guard try childKind(name) == .group else { throw loc.error("open group", "not a group") }
        let g = H5Gopen2(handle.id, name, ckpt_H5P_DEFAULT())
        if g < 0 { throw loc.error("open group") }
        return HDF5Group(handle: HDF5Handle(g) { H5Gclose($0) }, file: file, location: loc)
    }

    /// Opens child dataset `name` (a hard link only).
    public func openDataset(_ name: String) throws -> HDF5Dataset {
        let loc = location.child(name)
        guard try childKind(name) == .dataset else { throw loc.error("open dataset", "not a dataset") }
        return try openDataset(name, at: loc)
    }

    /// Opens child `name` when it is a group or a dataset (a hard link), with one look-up of
    /// what it is (`childKind`); nil with the kind for anything else. What a reader walking
    /// every child wants: `childKind` and then `openGroup` / `openDataset` look it up twice.
    public func openChild(_ name: String) throws -> (kind: HDF5ChildKind, object: HDF5Object?) {
        // A hard link is opened whatever it points to, and the open object says what it is:
        // two name look-ups (link, open) instead of four (exists, link, object info, open),
        // the reader's main cost on files of many small tensors. Anything else, or a failed
        // look-up, goes through `childKind` for its exact answer or error.
        let loc = location.child(name)
        guard !name.isEmpty, !name.contains("/"), name != ".", ckpt_link_kind(handle.id, name, nil, 0) == 0 else {
            return (try childKind(name), nil)
        }
        try file.replay(.link, loc.path)
        let id = H5Oopen(handle.id, name, ckpt_H5P_DEFAULT())
        if id < 0 { throw loc.error("open") }
        switch H5Iget_type(id) {
        case H5I_GROUP:
            return (.group, HDF5Group(handle: HDF5Handle(id) { H5Gclose($0) }, file: file, location: loc))
        case H5I_DATASET:
            return (.dataset, HDF5Dataset(handle: HDF5Handle(id) { H5Dclose($0) }, file: file, location: loc))
        case H5I_DATATYPE:
            H5Oclose(id)
            return (.namedDatatype, nil)
        default:
            H5Oclose(id)
            return (.other, nil)
        }
    }

    private func openDataset(_ name: String, at loc: HDF5Location) throws -> HDF5Dataset {
        let d = H5Dopen2(handle.id, name, ckpt_H5P_DEFAULT())
        if d < 0 { throw loc.error("open dataset") }
        return HDF5Dataset(handle: HDF5Handle(d) { H5Dclose($0) }, file: file, location: loc)
    }

    /// Whether a link named `name` exists (of any kind).
    public func contains(_ name: String) throws -> Bool {
        guard !name.isEmpty, !name.contains("/"), name != "." else { return false }
        let r = H5Lexists(handle.id, name, ckpt_H5P_DEFAULT())
        if r < 0 { throw location.child(name).error("look up link") }
        return r > 0
    }

    /// What child `name` is.
    public func childKind(_ name: String) throws -> HDF5ChildKind {
        let loc = location.child(name)
        guard try contains(name) else { throw loc.error("open", "no such object") }
        try file.replay(.link, loc.path)
        // Hard links (nearly every child) need no buffer for a link's target.
        let hard = ckpt_link_kind(handle.id, name, nil, 0)
        var buf = [CChar](repeating: 0, count: hard == 0 || hard < 0 ? 1 : 4096)
        let k = hard == 0 || hard < 0 ? hard : ckpt_link_kind(handle.id, name, &buf, buf.count)
        switch k {
        case 0:
            switch ckpt_object_type(handle.id, name) {
            case 0: return .group
            case 1: return .dataset
            case 2: return .namedDatatype
            case 3: return .other
            default: throw loc.error("get object info")
            }
        case 1: return .softLink(target: String(cString: buf))
        case 2: return .externalLink(target: String(cString: buf))
        case 3: return .other
        default: throw loc.error("get link info")
        }
    }

    /// Names of the links in this group: creation order when tracked, else name order.
    public func childNames() throws -> [String] {
        try file.replay(.links, path)
        var info = H5G_info_t()
        try location.check(H5Gget_info(handle.id, &info), "get group info")
        let n = Int(clamping: info.nlinks)
        if n == 0 { return [] }
        guard n <= HDF5File.maxObjectsPerGroup else {
            throw location.error("list group", "\(n) links (limit \(HDF5File.maxObjectsPerGroup))")
        }
        return try childNames(count: n, index: tracksLinkOrder() ? ckpt_H5_INDEX_CRT_ORDER() : ckpt_H5_INDEX_NAME())
    }

    override func creationPropertyList() -> hid_t { H5Gget_create_plist(handle.id) }

    private func tracksLinkOrder() -> Bool { tracksCreationOrder { H5Pget_link_creation_order($0, $1) } }

    private func childNames(count: Int, index: H5_index_t) throws -> [String] {
        try HDF5NameListing.linkNames(handle.id, index: index, expected: count, at: location)
    }

    // MARK: links

    /// Adds hard link `name` to the existing object at absolute `path` (h5py's `g[name] = obj`).
    public func createHardLink(_ name: String, to path: String) throws {
        try location.child(name).check(
            H5Lcreate_hard(handle.id, path, handle.id, name, ckpt_H5P_DEFAULT(), ckpt_H5P_DEFAULT()), "create hard link")
    }

    /// Adds soft link `name` pointing at `path` (which need not exist).
    public func createSoftLink(_ name: String, to path: String) throws {
        try location.child(name).check(
            H5Lcreate_soft(path, handle.id, name, ckpt_H5P_DEFAULT(), ckpt_H5P_DEFAULT()), "create soft link")
    }

    // MARK: creating datasets

    /// Creates a contiguous dataset without writing it (space is allocated on the first
    /// `HDF5Dataset.write`); for streaming large tensors in.
    @discardableResult
    public func createDataset(_ name: String, type: HDF5ElementType, shape: [Int]) throws -> HDF5Dataset {
        let loc = location.child(name)
        _ = try checkedCount(shape, elementSize: type.size, at: loc, "create dataset")
        return try withTemporaryID({ type.makeTypeID() }, close: H5Tclose, at: loc, "create datatype") { tid in
            try makeDataset(name, typeID: tid, shape: shape, loc: loc)
        }
    }

    /// Creates a contiguous dataset `name` of `shape` and writes `bytes` (row-major,
    /// little-endian elements of `type`) into it. `bytes.count` must be `shape.product * type.size`.
    @discardableResult
    public func createDataset(
        _ name: String, type: HDF5ElementType, shape: [Int], bytes: UnsafeRawBufferPointer
    ) throws -> HDF5Dataset {
        let loc = location.child(name)
        let count = try checkedCount(shape, elementSize: type.size, at: loc, "create dataset")
        guard bytes.count == count * type.size else {
            throw loc.error("create dataset", "\(bytes.count) bytes given for shape \(shape) of \(type.rawValue)")
        }
        return try withTemporaryID({ type.makeTypeID() }, close: H5Tclose, at: loc, "create datatype") { tid in
            let ds = try makeDataset(name, typeID: tid, shape: shape, loc: loc)
            if count > 0 {
                try loc.check(H5Dwrite(ds.handle.id, tid, ckpt_H5S_ALL(), ckpt_H5S_ALL(), ckpt_H5P_DEFAULT(), bytes.baseAddress),
                              "write dataset")
            }
            return ds
        }
    }

    /// Creates a contiguous dataset holding `values` with `shape` (default: 1-D).
    @discardableResult
    public func createDataset<T: HDF5Scalar>(_ name: String, values: [T], shape: [Int]? = nil) throws -> HDF5Dataset {
        try values.withUnsafeBytes {
            try createDataset(name, type: T.hdf5Type, shape: shape ?? [values.count], bytes: $0)
        }
    }

    /// Creates a dataset of variable-length UTF-8 strings (h5py's `str` dtype).
    @discardableResult
    public func createStringDataset(_ name: String, strings: [String], shape: [Int]? = nil) throws -> HDF5Dataset {
        let loc = location.child(name)
        let shape = shape ?? [strings.count]
        guard shape.reduce(1, *) == strings.count else {
            throw loc.error("create dataset", "\(strings.count) strings for shape \(shape)")
        }
        return try withTemporaryID({ ckpt_make_vlen_utf8_type() }, close: H5Tclose, at: loc, "create datatype") { tid in
            let ds = try makeDataset(name, typeID: tid, shape: shape, loc: loc, variableLength: true)
            if !strings.isEmpty {
                try withCStringArray(strings) { ptrs in
                    try loc.check(H5Dwrite(ds.handle.id, tid, ckpt_H5S_ALL(), ckpt_H5S_ALL(), ckpt_H5P_DEFAULT(), ptrs),
                                  "write dataset")
                }
            }
            return ds
        }
    }

    private func makeDataset(
        _ name: String, typeID: hid_t, shape: [Int], loc: HDF5Location, variableLength: Bool = false
    ) throws -> HDF5Dataset {
        let space = makeDataspace(shape)
        if space < 0 { throw loc.error("create dataspace") }
        defer { H5Sclose(space) }
        // Allocate at write time, no fill pass: the bytes are written once, in one call.
        // (HDF5 requires fill values for variable-length types.)
        let dcpl = try loc.check(variableLength ? HDF5SharedIDs.filledDataset : HDF5SharedIDs.unfilledDataset,
                                 "create dataset property list")
        let d = try withLinkCreateList(loc) { lcpl in
            H5Dcreate2(handle.id, name, typeID, space, lcpl, dcpl, ckpt_H5P_DEFAULT())
        }
        if d < 0 { throw loc.error("create dataset") }
        return HDF5Dataset(handle: HDF5Handle(d) { H5Dclose($0) }, file: file, location: loc)
    }

    /// A link creation list with UTF-8 names (as h5py writes them), so unicode keys round-trip.
    private func withLinkCreateList(_ loc: HDF5Location, _ body: (hid_t) -> hid_t) throws -> hid_t {
        body(try loc.check(HDF5SharedIDs.utf8Link, "create link property list"))
    }
}
