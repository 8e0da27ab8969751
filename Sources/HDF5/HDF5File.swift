import CHDF5

/// An open HDF5 file: created fresh for writing, or opened read-only.
///
/// Files are created with library version bounds pinned to v18...v110, so Debian 12's
/// HDF5 1.10 tools (h5dump, h5ls) and h5py open them, and metadata carries HDF5's own
/// checksums. The root group tracks link and attribute creation order.
///
/// The file closes when `close()` is called or the last reference (including groups and
/// datasets opened from it) goes away. Use one file from one thread at a time.
public final class HDF5File {
    /// Upper bound on children or attributes listed per object (corrupt-file guard).
    public static let maxObjectsPerGroup = 1_000_000
    /// Upper bound on attributes per object stored without a name index (an HDF5 1.6 object
    /// header, h5py's default): libhdf5 1.10 finds each by a linear search, so their cost
    /// grows with the square of their count (`CKPT_MAX_UNINDEXED_ATTRIBUTES` in shim.h says
    /// what was measured). Indexed attributes are bounded by `maxObjectsPerGroup` only.
    public static let maxUnindexedAttributes = Int(CKPT_MAX_UNINDEXED_ATTRIBUTES)

    public let path: String
    public let isWritable: Bool
    private var handle: HDF5Handle?
    /// Set for a copy `HDF5Probe.rebuild` wrote: what it could not read in the original, and
    /// that it already applied the plausibility rule with the original's size and layout.
    let findings: HDF5Findings?

    private init(path: String, writable: Bool, id: hid_t, findings: HDF5Findings? = nil) {
        self.path = path
        self.isWritable = writable
        self.handle = HDF5Handle(id) { H5Fclose($0) }
        self.findings = findings
    }

    /// Whether this is a rebuilt copy (`openRebuilt`) rather than the file itself.
    public var isRebuiltCopy: Bool { findings != nil }

    /// Throws the rebuild's finding at this place, if it has one.
    func replay(_ scope: HDF5Finding.Scope, _ path: String, _ name: String = "") throws {
        if let f = findings?.finding(scope, path, name) { throw f.error(file: self.path) }
    }

    var id: hid_t { handle?.id ?? -1 }

    /// Creates a new file at `path` (fails if it exists unless `overwrite`).
    ///
    /// `userBlockSize` (0, or a power of two >= 512) reserves that many bytes at the start of
    /// the file that HDF5 leaves alone (h5py's `userblock_size`); ckpt keeps a manifest there.
    /// True when this libhdf5 can open a file from every MPI rank (`createShared`).
    public static var supportsParallel: Bool { ckpt_hdf5_is_parallel() != 0 }

    public static func create(_ path: String, overwrite: Bool = false, userBlockSize: Int = 0) throws -> HDF5File {
        try create(path, overwrite: overwrite, userBlockSize: userBlockSize, parallel: false)
    }

    /// Creates `path` (which must not exist) together with every rank of MPI_COMM_WORLD through
    /// MPI-IO: a collective call, after which every call that changes the file's structure
    /// (groups, datasets, attributes, close) is collective too; raw data writes are not.
    public static func createShared(_ path: String, userBlockSize: Int = 0) throws -> HDF5File {
        try create(path, overwrite: false, userBlockSize: userBlockSize, parallel: true)
    }

    private static func create(_ path: String, overwrite: Bool, userBlockSize: Int, parallel: Bool) throws -> HDF5File {
        HDF5Library.ensure()
        let loc = HDF5Location(file: path, path: "/")
        let fcpl = try loc.check(H5Pcreate(ckpt_H5P_FILE_CREATE()), "create file property list")
        defer { H5Pclose(fcpl) }
        try loc.check(H5Pset_link_creation_order(fcpl, ckpt_H5P_CRT_ORDER_TRACKED_INDEXED()), "track link order")
        try loc.check(H5Pset_attr_creation_order(fcpl, ckpt_H5P_CRT_ORDER_TRACKED_INDEXED()), "track attribute order")
        if userBlockSize > 0 { try loc.check(H5Pset_userblock(fcpl, hsize_t(userBlockSize)), "set user block size") }
        let fapl = try makeAccessList(loc)
        defer { H5Pclose(fapl) }
        if parallel {
            guard supportsParallel else { throw loc.error("create file", "this libhdf5 has no parallel I/O (build the MPI flavour: make mpi)") }
            try loc.check(ckpt_set_fapl_mpio_world(fapl), "set the MPI-IO driver")
        }
        let flags = overwrite ? ckpt_H5F_ACC_TRUNC() : ckpt_H5F_ACC_EXCL()
        let id = H5Fcreate(path, flags, fcpl, fapl)
        if id < 0 { throw loc.error("create file") }
        return HDF5File(path: path, writable: true, id: id)
    }

    /// Opens an existing file read-only. Fails cleanly on non-HDF5 or truncated files.
    public static func open(_ path: String) throws -> HDF5File {
        try open(path, as: path, operation: "open file", findings: nil)
    }

    /// Opens read-only the file the caller holds open as `fd` (through `/proc/self/fd`), so that
    /// libhdf5 parses the very inode the caller checked, not whatever `path` names by then;
    /// errors name `path`.
    public static func open(descriptor fd: Int32, reportingAs path: String) throws -> HDF5File {
        try open("/proc/self/fd/\(fd)", as: path, operation: "open file", findings: nil)
    }

    /// Opens the copy `HDF5Probe.rebuild` wrote at `copyPath` in place of the file `original`:
    /// errors name `original`, and `findings` replay where the reader meets them.
    public static func openRebuilt(_ copyPath: String, original: String, findings: [HDF5Finding]) throws -> HDF5File {
        try open(copyPath, as: original, operation: "open isolated copy \(copyPath)", findings: HDF5Findings(findings))
    }

    private static func open(_ diskPath: String, as path: String, operation: String, findings: HDF5Findings?) throws -> HDF5File {
        HDF5Library.ensure()
        let loc = HDF5Location(file: path, path: "/")
        let fapl = try makeAccessList(loc)
        defer { H5Pclose(fapl) }
        let id = H5Fopen(diskPath, ckpt_H5F_ACC_RDONLY(), fapl)
        if id < 0 { throw loc.error(operation) }
        return HDF5File(path: path, writable: false, id: id, findings: findings)
    }

    private static func makeAccessList(_ loc: HDF5Location) throws -> hid_t {
        let fapl = try loc.check(H5Pcreate(ckpt_H5P_FILE_ACCESS()), "create file access list")
        do {
            try loc.check(H5Pset_libver_bounds(fapl, ckpt_H5F_LIBVER_V18(), ckpt_H5F_LIBVER_V110()), "set version bounds")
            // Closing the file closes every object still open in it, so `close()` really
            // releases the file (the atomic save fsyncs and renames right after).
            try loc.check(H5Pset_fclose_degree(fapl, ckpt_H5F_CLOSE_STRONG()), "set close degree")
            // No flock from libhdf5: ckpt writes into a private directory and renames (its own
            // locks say who writes), and a complete file needs none to be read. libhdf5's lock
            // only made a file unopenable (EAGAIN) while a forked probe still held the
            // inherited descriptor.
            try loc.check(H5Pset_file_locking(fapl, false, true), "turn off file locking")
        } catch {
            H5Pclose(fapl)
            throw error
        }
        return fapl
    }

    /// The root group "/".
    public func root() throws -> HDF5Group {
        let loc = HDF5Location(file: path, path: "/")
        guard handle != nil else { throw loc.error("open root group", "file is closed") }
        let g = H5Gopen2(id, "/", ckpt_H5P_DEFAULT())
        if g < 0 { throw loc.error("open root group") }
        return HDF5Group(handle: HDF5Handle(g) { H5Gclose($0) }, file: self, location: loc)
    }

    /// The descriptor libhdf5 reads the file through (the default sec2 driver), for plain
    /// `pread`s of raw data (`HDF5Dataset.rawByteRange`); nil for other drivers or when closed.
    /// Valid until `close()`; never close it.
    public func descriptor() -> Int32? {
        guard handle != nil else { return nil }
        var raw: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(id, ckpt_H5P_DEFAULT(), &raw) >= 0, let raw else { return nil }
        let fd = raw.load(as: Int32.self)
        return fd >= 0 ? fd : nil
    }

    /// Size of the file in bytes as HDF5 sees it.
    public func size() throws -> Int {
        if let cachedSize { return cachedSize }
        var s: hsize_t = 0
        try HDF5Location(file: path, path: "/").check(H5Fget_filesize(id, &s), "get file size")
        // A file opened read-only keeps its size for us (asked once per tensor otherwise).
        if !isWritable { cachedSize = Int(clamping: s) }
        return Int(clamping: s)
    }

    private var cachedSize: Int?

    /// Flushes and closes the file; objects opened from it become unusable.
    public func close() throws {
        guard let h = handle else { return }
        let loc = HDF5Location(file: path, path: "/")
        if isWritable { try loc.check(H5Fflush(h.id, H5F_SCOPE_GLOBAL), "flush file") }
        handle = nil
        try loc.check(h.close(), "close file")
    }
}
